use clap::Parser;

fn main() {
    let cli = screener::cli::Cli::parse();
    match screener::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("screener: {error:#}");
            std::process::exit(1);
        }
    }
}
