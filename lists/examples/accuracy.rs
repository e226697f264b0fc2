//! Measures name screening accuracy on the UN list and the evaluation set,
//! and prints a Markdown table for BENCHMARKS.md.
//!
//! Run: `cargo run --release -p screener-lists --example accuracy -- [--data DIR] [--bundle] [--verbose]`
//! where DIR contains `lists/un_consolidated/` and `eval/` (default:
//! `shared/data` beside the repository, or `SCREENER_DATA_DIR`). With
//! `--bundle` the queries run against the whole default list bundle of the
//! repository rather than the UN list alone; `--verbose` lists the missed
//! positives and the alerted negatives.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use screener_lists::accuracy::{default_data_dir, evaluate, EvalSet};
use screener_lists::{load, load_bundle, LoadOptions, Snapshot};

const UN_LIST: &str = "lists/un_consolidated/un_consolidated_2026-02-27.xml";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut data: Option<PathBuf> = None;
    let mut verbose = false;
    let mut bundle = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--verbose" => verbose = true,
            "--bundle" => bundle = true,
            other => {
                eprintln!(
                    "unknown argument {other}; usage: accuracy [--data DIR] [--bundle] [--verbose]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let Some(data) = data.or_else(default_data_dir) else {
        eprintln!("no data folder: pass --data DIR or set SCREENER_DATA_DIR");
        return ExitCode::FAILURE;
    };
    match run(&data, bundle, verbose) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn run(data: &Path, bundle: bool, verbose: bool) -> Result<(), screener_lists::ListError> {
    let lists = if bundle {
        load_bundle(&screener_lists::source_root().join("bundle/bundle.toml"))?
    } else {
        vec![load(&data.join(UN_LIST), &LoadOptions::default())?]
    };
    let started = Instant::now();
    let snapshot = Snapshot::build(lists);
    let build = started.elapsed();
    let set = EvalSet::read(&data.join("eval"))?;
    let report = evaluate(&snapshot, &set);
    let stats = snapshot.stats();
    let ids: Vec<&str> = snapshot.lists().iter().map(|l| l.id.as_str()).collect();
    println!(
        "lists {} (version {}): {} entities, {} name forms, index built in {} ms",
        ids.join(", "),
        snapshot.version(),
        stats.entities,
        stats.name_forms,
        build.as_millis()
    );
    println!();
    print!("{}", report.to_markdown());
    if verbose {
        for row in &report.perturbed_missed {
            println!(
                "missed perturbed row {row}: {}",
                set.perturbed[row - 1].full_name
            );
        }
        for row in &report.negatives_alerted_rows {
            let negative = &set.negative[row - 1];
            let hits = snapshot.screen_name(&negative.query(screener_lists::DEFAULT_THRESHOLD));
            println!(
                "alerted negative row {row}: {} -> {:?}",
                negative.full_name,
                hits.hits()
                    .first()
                    .map(|h| (&h.matched_name, h.score, &h.explanation))
            );
        }
    }
    Ok(())
}
