//! Screens the negative evaluation rows against the default list bundle
//! three times over, for profiling the query path:
//! `perf record -g target/release/examples/profile_queries`.

use screener_lists::accuracy::{default_data_dir, EvalSet};
use screener_lists::{load_bundle, Snapshot};

fn main() {
    let data = default_data_dir().expect("data folder: set SCREENER_DATA_DIR");
    let manifest = screener_lists::source_root().join("bundle/bundle.toml");
    let lists = load_bundle(&manifest).expect("bundle loads");
    let snapshot = Snapshot::build(lists);
    let set = EvalSet::read(&data.join("eval")).expect("evaluation set reads");
    let queries: Vec<_> = set.negative.iter().map(|r| r.query(0.8)).collect();
    for _ in 0..3 {
        for query in &queries {
            std::hint::black_box(snapshot.screen_name(query));
        }
    }
}
