//! Name, wallet and identifier screening against real lists, and name
//! screening against a generated list of one million names.
//!
//! Run: `cargo bench -p screener-benches --bench matching`. The bundle is
//! the default list bundle of the repository (OFAC SDN advanced, OFAC
//! consolidated, UN, UK), less any list this build has no loader for; the
//! bench prints which lists it loaded. Queries come from the evaluation set
//! in `shared/data` beside the repository or `SCREENER_DATA_DIR`; without
//! it only normalization and the generated list run.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput,
};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use screener_lists::accuracy::{default_data_dir, read_rows, EvalRow};
use screener_lists::normalize::normalize;
use screener_lists::{
    load_bundle, Entity, EntityKind, LoadedList, Name, NameQuery, NameType, Snapshot,
    DEFAULT_THRESHOLD,
};

#[global_allocator]
static ALLOCATOR: screener_benches::Allocator = screener_benches::Allocator;

/// Loads the default list bundle (`bundle/bundle.toml` in the repository);
/// lists whose format has no loader in this build are left out.
fn load_default_bundle() -> Vec<LoadedList> {
    let manifest = screener_lists::source_root().join("bundle/bundle.toml");
    match load_bundle(&manifest) {
        Ok(lists) => {
            for list in &lists {
                eprintln!(
                    "bundle: {}: {} entities",
                    list.report.list,
                    list.entities.len()
                );
            }
            lists
        }
        Err(error) => {
            eprintln!("bundle not loaded: {error}");
            Vec::new()
        }
    }
}

/// Evaluation rows to query with: exact and perturbed positives and
/// negatives, interleaved.
fn eval_queries(data: &Path) -> Vec<EvalRow> {
    let read = |name: &str| read_rows(&data.join("eval").join(name)).unwrap_or_default();
    let exact = read("un_persons_positive_exact.csv");
    let perturbed = read("un_persons_positive_perturbed.csv");
    let negative = read("persons_negative_global.csv");
    let mut rows = Vec::new();
    for i in 0..1000 {
        for set in [&exact, &perturbed, &negative] {
            if let Some(row) = set.get(i * 7 % set.len().max(1)) {
                rows.push(row.clone());
            }
        }
    }
    rows
}

/// Prints the latency percentiles of name queries against a snapshot built
/// just now: once cold (the first query of each name after the build, so
/// no cached typo candidates) and once warm (the same queries again). Each
/// query is timed alone, on one thread. The queries are every exact and
/// perturbed positive and the first 5,000 negatives, each once.
fn print_name_latency(lists: &[LoadedList], data: &Path) {
    let read = |name: &str| read_rows(&data.join("eval").join(name)).unwrap_or_default();
    let mut rows = read("un_persons_positive_exact.csv");
    rows.extend(read("un_persons_positive_perturbed.csv"));
    rows.extend(read("persons_negative_global.csv").into_iter().take(5_000));
    let queries: Vec<NameQuery> = rows
        .iter()
        .map(|row| NameQuery {
            top_k: None,
            ..row.query(DEFAULT_THRESHOLD)
        })
        .collect();
    let snapshot = Snapshot::build(lists.to_vec());
    for pass in ["cold", "warm"] {
        let mut nanos: Vec<u64> = queries
            .iter()
            .map(|query| {
                let started = Instant::now();
                black_box(snapshot.screen_name(query));
                started.elapsed().as_nanos() as u64
            })
            .collect();
        nanos.sort_unstable();
        let at = |q: f64| {
            let index = ((nanos.len() as f64 - 1.0) * q).round() as usize;
            nanos.get(index).copied().unwrap_or(0) as f64 / 1000.0
        };
        eprintln!(
            "bundle name query, {pass}, {} queries: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, \
             p99.9 {:.1} us, max {:.1} us",
            nanos.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            at(0.999),
            at(1.0)
        );
    }
}

/// Screens the queries in turn, one per iteration.
fn bench_screen_name(
    group: &mut BenchmarkGroup<'_, WallTime>,
    snapshot: &Snapshot,
    queries: &[NameQuery],
) {
    let mut next = 0;
    group.bench_function("screen_name", |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            black_box(snapshot.screen_name(&queries[next]))
        })
    });
}

fn bench_normalize(c: &mut Criterion) {
    let names = [
        "SALEK, Abdulhai",
        "Open Joint Stock Company Gazprom Neft",
        "Владимир Владимирович Путин",
        "صدام حسين التكريتي",
        "ESTÊVÃO NA MENA",
        "Sheikh Abd-al-Majid al-Zindani",
    ];
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(names.len() as u64));
    group.bench_function("six names", |b| {
        b.iter(|| {
            for name in names {
                black_box(normalize(black_box(name)));
            }
        })
    });
    group.finish();
}

fn bench_bundle(c: &mut Criterion) {
    let Some(data) = default_data_dir() else {
        eprintln!("data missing, skipping the bundle benches");
        return;
    };
    let lists = load_default_bundle();
    if lists.is_empty() {
        return;
    }
    let snapshot = Snapshot::build(lists.clone());
    let stats = snapshot.stats();
    eprintln!(
        "bundle: {} entities, {} name forms, {} bytes of name index ({} per name form)",
        stats.entities,
        stats.name_forms,
        stats.name_index_bytes,
        stats.name_index_bytes / stats.name_forms.max(1)
    );
    print_name_latency(&lists, &data);
    let rows = eval_queries(&data);
    let queries: Vec<NameQuery> = rows
        .iter()
        .map(|r| NameQuery {
            top_k: None,
            ..r.query(DEFAULT_THRESHOLD)
        })
        .collect();

    // The first exact positive is listed, so it must hit.
    let check = snapshot.screen_name(&queries[0]);
    assert!(!check.hits().is_empty(), "{} should hit", rows[0].full_name);

    let mut group = c.benchmark_group("bundle");
    group.throughput(Throughput::Elements(1));
    bench_screen_name(&mut group, &snapshot, &queries);

    let wallet = snapshot
        .entities()
        .iter()
        .flat_map(|e| e.wallets.iter())
        .next()
        .map(|w| w.address.clone());
    if let Some(address) = wallet {
        assert!(!snapshot.screen_wallet(&address, None).hits.is_empty());
        group.bench_function("screen_wallet", |b| {
            b.iter(|| black_box(snapshot.screen_wallet(black_box(&address), Some("ETH"))))
        });
    }
    let identifier = snapshot
        .entities()
        .iter()
        .flat_map(|e| e.identifiers.iter())
        .next()
        .map(|i| (i.kind.clone(), i.value.clone()));
    if let Some((kind, value)) = identifier {
        assert!(!snapshot.screen_identifier(Some(&kind), &value).is_empty());
        group.bench_function("screen_identifier", |b| {
            b.iter(|| black_box(snapshot.screen_identifier(Some(&kind), black_box(&value))))
        });
    }
    group.bench_function("scan_text", |b| {
        let text = "Payment for invoice 2291 to ESTEVAO NA MENA, ref. consulting services Q3";
        b.iter(|| black_box(snapshot.scan_text(black_box(text))))
    });
    group.finish();

    let mut build = c.benchmark_group("bundle_build");
    build.sample_size(10);
    build.throughput(Throughput::Elements(stats.name_forms as u64));
    build.bench_function("snapshot", |b| {
        b.iter_batched(
            || lists.clone(),
            |l| black_box(Snapshot::build(l)),
            BatchSize::LargeInput,
        )
    });
    build.finish();
}

/// A deterministic pseudo-random generator (64-bit LCG), so the generated
/// list is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// Generates a name-like word of two to four syllables.
fn word(rng: &mut Lcg) -> String {
    const ONSETS: [&str; 20] = [
        "b", "d", "f", "g", "h", "k", "l", "m", "n", "r", "s", "t", "v", "z", "sh", "kh", "ch",
        "j", "y", "w",
    ];
    const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ia"];
    let syllables = 2 + rng.next(3);
    (0..syllables)
        .map(|_| {
            format!(
                "{}{}",
                ONSETS[rng.next(ONSETS.len())],
                VOWELS[rng.next(VOWELS.len())]
            )
        })
        .collect()
}

/// Generates persons named from 3,000 given names and 60,000 family
/// names, two or three tokens each.
fn generated_entities(count: usize) -> Vec<Entity> {
    let mut rng = Lcg(7);
    let given: Vec<String> = (0..3_000).map(|_| word(&mut rng)).collect();
    let family: Vec<String> = (0..60_000).map(|_| word(&mut rng)).collect();
    (0..count)
        .map(|i| {
            let mut name = format!(
                "{} {}",
                given[rng.next(given.len())],
                family[rng.next(family.len())]
            );
            if rng.next(2) == 0 {
                name = format!("{} {name}", given[rng.next(given.len())]);
            }
            let mut entity = Entity::new("generated", i.to_string(), EntityKind::Person);
            entity.names.push(Name::new(name, NameType::Primary));
            entity
        })
        .collect()
}

fn bench_generated(c: &mut Criterion) {
    let entities = generated_entities(1_000_000);
    let mut rng = Lcg(11);
    // Listed names with one letter swapped, and names made of unrelated
    // words, half and half.
    let queries: Vec<NameQuery> = (0..2_000)
        .map(|i| {
            let name = &entities[rng.next(entities.len())].names[0].full;
            let text = if i % 2 == 0 {
                let mut bytes = name.clone().into_bytes();
                let at = 1 + rng.next(bytes.len() - 2);
                bytes.swap(at, at + 1);
                String::from_utf8(bytes).unwrap_or_else(|_| name.clone())
            } else {
                format!("{} {}", word(&mut rng), word(&mut rng))
            };
            NameQuery::new(text)
        })
        .collect();
    let snapshot = Snapshot::from_entities(entities);
    let stats = snapshot.stats();
    eprintln!(
        "generated: {} name forms, vocabulary {}, {} bytes of name index ({} per name form), built in {} ms",
        stats.name_forms,
        stats.vocabulary,
        stats.name_index_bytes,
        stats.name_index_bytes / stats.name_forms.max(1),
        stats.build_millis
    );
    let exact = NameQuery::new(snapshot.entities()[0].names[0].full.clone());
    assert_eq!(
        snapshot
            .screen_name(&exact)
            .hits()
            .first()
            .map(|h| h.entity_id.as_str()),
        Some("0")
    );

    let mut group = c.benchmark_group("generated_1m");
    group.throughput(Throughput::Elements(1));
    bench_screen_name(&mut group, &snapshot, &queries);
    group.finish();
}

criterion_group!(benches, bench_normalize, bench_bundle, bench_generated);
criterion_main!(benches);
