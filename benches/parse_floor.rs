//! The floor for linting a corpus: reading every `.sql` file under a directory and parsing it
//! with libpg_query, nothing else. `cargo bench --bench parse_floor -- DIR` prints the wall
//! time, single-threaded and on all cores; with `--parallel`, on all cores only (to be timed
//! from outside, paired with a lint of the same directory).

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| ".".into());
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|entry| entry.into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();

    let parse = |path: &PathBuf| -> usize {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        chronos_lint::parse::parse_sql(&text).map_or(0, |parsed| parsed.tree.stmts.len())
    };
    let start = Instant::now();
    let parallel_statements: usize = files.par_iter().map(parse).sum();
    let parallel = start.elapsed();
    if std::env::args().any(|arg| arg == "--parallel") {
        println!("{parallel_statements}");
        return;
    }
    let start = Instant::now();
    let statements: usize = files.iter().map(parse).sum();
    let single = start.elapsed();
    assert_eq!(statements, parallel_statements);
    println!(
        "parse floor: {} files, {statements} statements: {:.3} s on one core, {:.3} s on {} cores",
        files.len(),
        single.as_secs_f64(),
        parallel.as_secs_f64(),
        rayon::current_num_threads()
    );
}
