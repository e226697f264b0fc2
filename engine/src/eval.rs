//! `screener eval`: match quality on the evaluation set, printed as the
//! table recorded in BENCHMARKS.md.

use std::path::PathBuf;

use clap::Args;
use screener_lists::accuracy::{evaluate, EvalSet};
use screener_lists::{LoadOptions, Snapshot};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The data folder holding lists/un_consolidated/ and eval/; by default
    /// ../shared/data beside the repository, or SCREENER_DATA_DIR.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print JSON instead of the markdown table.
    #[arg(long)]
    pub json: bool,
}

/// The UN list the evaluation set was drawn from.
const UN_LIST: &str = "lists/un_consolidated/un_consolidated_2026-02-27.xml";

pub fn run(args: EvalArgs) -> anyhow::Result<i32> {
    let data = match args.data {
        Some(data) => data,
        None => screener_lists::accuracy::default_data_dir().ok_or_else(|| {
            anyhow::anyhow!("evaluation data not found; pass --data DIR or set SCREENER_DATA_DIR")
        })?,
    };
    let list = screener_lists::load(&data.join(UN_LIST), &LoadOptions::default())?;
    let snapshot = Snapshot::build(vec![list]);
    let set = EvalSet::read(&data.join("eval"))?;
    let report = evaluate(&snapshot, &set);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_markdown());
    }
    Ok(0)
}
