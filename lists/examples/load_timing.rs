//! Times loading each list given on the command line: reading (with
//! decompression) and parsing apart, as wall time and as CPU time of this
//! thread, then prints the load report and the peak resident memory.
//!
//! ```text
//! cargo run --release -p screener-lists --example load_timing -- <file or folder>...
//! cargo run --release -p screener-lists --example load_timing -- --bundle bundle/bundle.toml
//! ```
//!
//! CPU time is the figure to compare: on a busy machine wall time also
//! counts the time other processes held the cores.

use std::path::Path;
use std::time::{Duration, Instant};

use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};
use screener_lists::{load, load_bundle, LoadOptions};

/// How many times each list is parsed for its timing.
const PARSE_RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, manifest] if flag == "--bundle" => time_bundle(Path::new(manifest)),
        [] => {
            eprintln!("usage: load_timing <list file or folder>... | --bundle <bundle.toml>");
            std::process::exit(2);
        }
        paths => paths.iter().for_each(|p| time_list(Path::new(p))),
    }
    println!(
        "peak RSS: {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
}

/// Times reading and parsing one list apart, then loads it for the report.
fn time_list(path: &Path) {
    // A folder stands for the OFAC CSV set inside it; time its main file.
    let main = match path.is_dir() {
        true => formats::ofac_csv::main_file_in(path),
        false => Ok(path.to_path_buf()),
    };
    let clock = Clock::start();
    let file = match main.and_then(|main| InputFile::read(&main)) {
        Ok(file) => file,
        Err(error) => return eprintln!("{error}"),
    };
    let read = clock.lap();

    // The fastest of three runs, so that other processes on the machine
    // disturb the figure less.
    let mut fastest: Option<Lap> = None;
    for _ in 0..PARSE_RUNS {
        let clock = Clock::start();
        let parsed = formats::detect(&file).and_then(|format| {
            let list_id = formats::default_list_id(format, &file);
            let files = std::slice::from_ref(&file);
            formats::parse(format, files, &list_id, &mut LoadContext::default())
        });
        let lap = clock.lap();
        if let Err(error) = parsed {
            return eprintln!("{error}");
        }
        if fastest.as_ref().is_none_or(|f| lap.cpu < f.cpu) {
            fastest = Some(lap);
        }
    }
    let Some(parse) = fastest else {
        return;
    };

    match load(path, &LoadOptions::default()) {
        Ok(loaded) => println!("{}", loaded.report),
        Err(error) => return eprintln!("{error}"),
    }
    println!("read and decompress: {read}");
    println!("detect and parse:    {parse} (fastest of {PARSE_RUNS})");
}

fn time_bundle(manifest: &Path) {
    let clock = Clock::start();
    match load_bundle(manifest) {
        Ok(lists) => {
            let lap = clock.lap();
            for list in &lists {
                println!("{}\n", list.report);
            }
            println!("bundle load ({} lists): {lap}", lists.len());
        }
        Err(error) => eprintln!("{error}"),
    }
}

/// Wall time and the CPU time of the whole process.
struct Clock {
    wall: Instant,
    cpu: Option<Duration>,
}

struct Lap {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    fn lap(&self) -> Lap {
        Lap {
            wall: self.wall.elapsed(),
            cpu: process_cpu_time()
                .zip(self.cpu)
                .map(|(now, then)| now - then),
        }
    }
}

impl std::fmt::Display for Lap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} s wall", self.wall.as_secs_f64())?;
        match self.cpu {
            Some(cpu) => write!(f, ", {:.3} s CPU", cpu.as_secs_f64()),
            None => Ok(()),
        }
    }
}

/// CPU time used by every thread of this process so far, from
/// /proc/self/stat (user plus system time, in clock ticks of 1/100 s).
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// The peak resident set size of this process (VmHWM in /proc/self/status).
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}
