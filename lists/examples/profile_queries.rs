//! Screens the negative evaluation rows in a loop, for profiling.
use screener_lists::accuracy::{default_data_dir, EvalSet};
use screener_lists::{load, LoadOptions, Snapshot};
fn main() {
    let data = default_data_dir().expect("data");
    let list = load(
        &data.join("lists/un_consolidated/un_consolidated_2026-02-27.xml"),
        &LoadOptions::default(),
    )
    .expect("load");
    let snapshot = Snapshot::build(vec![list]);
    let set = EvalSet::read(&data.join("eval")).expect("eval");
    let queries: Vec<_> = set.negative.iter().map(|r| r.query(0.8)).collect();
    for _ in 0..3 {
        for q in &queries {
            std::hint::black_box(snapshot.screen_name(q));
        }
    }
}
