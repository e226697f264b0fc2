#!/usr/bin/env python3
"""Measure peer name-screening tools on the evaluation set.

Screens the evaluation persons against the UN Security Council consolidated
list with:

- RapidFuzz ``process.extractOne`` over every listed name and alias, scored
  with ``JaroWinkler.normalized_similarity`` and with ``fuzz.WRatio``;
- nomenklatura's ``LogicV2`` matcher (the "logic-v2" algorithm that
  OpenSanctions recommends for screening), run on the candidates that a
  RapidFuzz pre-selection returns (the 10 best names by WRatio).

For each it reports queries per second, mean and median latency per query,
the found rate on exact and on perturbed positives, and false alerts on
negatives. A positive counts as found when the right UN entry is among the
hits at or above the threshold; a negative with any hit at or above the
threshold is a false alert.

The right entry of a positive is the UN entry whose primary name equals the
exact positive's full name (case-insensitive, whitespace collapsed); the
perturbed file is row-aligned with the exact one. Positives whose name is no
entry's primary name are excluded and counted. Perturbed data row 392
(1-based, header not counted) names a different listed person than exact
row 392 (NOOR instead of MOHAMMAD BARZAN IBRAHIM HASAN AL-TIKRITI), so a
hit on either person counts as found there.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Optional

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import JaroWinkler

UN_LIST = "lists/un_consolidated/un_consolidated_2026-02-27.xml"
EXACT = "eval/un_persons_positive_exact.csv"
PERTURBED = "eval/un_persons_positive_perturbed.csv"
NEGATIVES = "eval/persons_negative_global.csv"

# 1-based data row of the perturbed file that names another listed person.
PERTURBED_OTHER_PERSON_ROW = 392

NAME_PARTS = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]


@dataclass
class Entry:
    """One UN list entry with its names."""

    entry_id: str
    schema: str
    primary: str
    aliases: list[str] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [self.primary, *self.aliases, *self.weak_aliases]


@dataclass
class Query:
    """One evaluation row to screen."""

    kind: str  # exact, perturbed or negative
    name: str
    right: frozenset[int]  # indexes of acceptable entries; empty for negatives
    birth_date: str = ""
    nationality: str = ""


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def load_un_list(path: Path) -> list[Entry]:
    root = ET.parse(path).getroot()
    entries: list[Entry] = []
    for section, schema, alias_tag in [
        ("INDIVIDUALS", "Person", "INDIVIDUAL_ALIAS"),
        ("ENTITIES", "Organization", "ENTITY_ALIAS"),
    ]:
        container = root.find(section)
        for element in container if container is not None else []:
            entries.append(read_entry(element, schema, alias_tag))
    return entries


def read_entry(element: ET.Element, schema: str, alias_tag: str) -> Entry:
    parts = [(element.findtext(tag) or "").strip() for tag in NAME_PARTS]
    entry = Entry(
        entry_id=f"{element.findtext('REFERENCE_NUMBER')}/{element.findtext('DATAID')}",
        schema=schema,
        primary=" ".join(p for p in parts if p),
    )
    original = (element.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
    if original:
        entry.aliases.append(original)
    for alias in element.findall(alias_tag):
        name = (alias.findtext("ALIAS_NAME") or "").strip()
        if not name:
            continue
        if (alias.findtext("QUALITY") or "").strip() == "Low":
            entry.weak_aliases.append(name)
        else:
            entry.aliases.append(name)
    for date in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        value = (date.findtext("DATE") or date.findtext("YEAR") or "").strip()
        if value:
            entry.birth_dates.append(value[:10])
    for nationality in element.findall("NATIONALITY/VALUE"):
        if (nationality.text or "").strip():
            entry.nationalities.append(nationality.text.strip())
    return entry


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build_queries(
    data_dir: Path, entries: list[Entry], negatives_limit: int, seed: int
) -> tuple[list[Query], list[Query], list[Query], dict]:
    by_primary: dict[str, set[int]] = {}
    for index, entry in enumerate(entries):
        by_primary.setdefault(normalize(entry.primary), set()).add(index)

    exact_rows = read_csv(data_dir / EXACT)
    perturbed_rows = read_csv(data_dir / PERTURBED)
    if len(exact_rows) != len(perturbed_rows):
        sys.exit(f"{EXACT} and {PERTURBED} differ in length; they must be row-aligned")

    exact, perturbed, excluded = [], [], []
    for row_number, (exact_row, perturbed_row) in enumerate(zip(exact_rows, perturbed_rows), 1):
        right = by_primary.get(normalize(exact_row["full_name"]), set())
        if not right:
            excluded.append(exact_row["full_name"])
            continue
        perturbed_right = set(right)
        if row_number == PERTURBED_OTHER_PERSON_ROW:
            perturbed_right |= by_primary.get(normalize(perturbed_row["full_name"]), set())
        exact.append(make_query("exact", exact_row, right))
        perturbed.append(make_query("perturbed", perturbed_row, perturbed_right))

    negative_rows = read_csv(data_dir / NEGATIVES)
    total_negatives = len(negative_rows)
    if negatives_limit < total_negatives:
        negative_rows = random.Random(seed).sample(negative_rows, negatives_limit)
    negatives = [make_query("negative", row, set()) for row in negative_rows]
    info = {
        "positives": len(exact_rows),
        "positives_excluded_not_primary_name": excluded,
        "negatives_total": total_negatives,
        "negatives_screened": len(negatives),
        "perturbed_row_other_person": PERTURBED_OTHER_PERSON_ROW,
    }
    return exact, perturbed, negatives, info


def make_query(kind: str, row: dict[str, str], right: set[int]) -> Query:
    return Query(
        kind=kind,
        name=row["full_name"],
        right=frozenset(right),
        birth_date=row.get("date_of_birth", "") or "",
        nationality=row.get("nationality", "") or "",
    )


# --------------------------------------------------------------------------
# Screening passes. A pass returns, per query, the hits as (entry index,
# score) pairs and the seconds the query took.


@dataclass
class Pass:
    hits: list[list[tuple[int, float]]]
    seconds: list[float]


def rapidfuzz_pass(
    queries: list[Query],
    choices: list[str],
    choice_entry: list[int],
    scorer: Callable,
    cutoff: float,
) -> Pass:
    """extractOne over pre-processed names; the query is processed inside
    the timed part, the list once before it."""
    hits, seconds = [], []
    for query in queries:
        start = time.perf_counter()
        match = process.extractOne(
            utils.default_process(query.name),
            choices,
            scorer=scorer,
            processor=None,
            score_cutoff=cutoff,
        )
        seconds.append(time.perf_counter() - start)
        hits.append([] if match is None else [(choice_entry[match[2]], float(match[1]))])
    return Pass(hits, seconds)


def nomenklatura_pass(
    queries: list[Query],
    entries: list[Entry],
    choices: list[str],
    choice_entry: list[int],
    qualifiers: bool,
    preselect: int,
    progress: bool,
) -> Pass:
    """LogicV2 on the entries of the `preselect` best names by WRatio."""
    from followthemoney import model
    from nomenklatura.matching import LogicV2

    config = LogicV2.default_config()
    list_entities = [to_entity(model, f"e{i}", e, qualifiers) for i, e in enumerate(entries)]
    # The first comparison loads reference data; keep it out of the timing.
    warm = model.make_entity("Person")
    warm.id = "warm"
    warm.add("name", "John Smith")
    LogicV2.compare(warm, list_entities[0], config)

    hits, seconds = [], []
    for number, query in enumerate(queries, 1):
        start = time.perf_counter()
        entity = model.make_entity("Person")
        # LogicV2 caches analysed names by entity id, so each query needs
        # its own id or it is scored with an earlier query's names.
        entity.id = f"query-{number}"
        entity.add("name", query.name)
        if qualifiers:
            entity.add("birthDate", query.birth_date or None)
            entity.add("nationality", query.nationality or None)
        candidates = process.extract(
            utils.default_process(query.name),
            choices,
            scorer=fuzz.WRatio,
            processor=None,
            limit=preselect,
        )
        scored: dict[int, float] = {}
        for _, _, choice in candidates:
            index = choice_entry[choice]
            if index not in scored:
                scored[index] = LogicV2.compare(entity, list_entities[index], config).score
        seconds.append(time.perf_counter() - start)
        hits.append(list(scored.items()))
        if progress and number % 1000 == 0:
            print(f"  nomenklatura: {number}/{len(queries)} queries", file=sys.stderr)
    return Pass(hits, seconds)


def to_entity(model, entity_id: str, entry: Entry, qualifiers: bool):
    entity = model.make_entity(entry.schema)
    entity.id = entity_id
    entity.add("name", entry.primary)
    entity.add("alias", entry.aliases)
    entity.add("weakAlias", entry.weak_aliases)
    if qualifiers and entry.schema == "Person":
        entity.add("birthDate", entry.birth_dates)
        entity.add("nationality", entry.nationalities)
    return entity


# --------------------------------------------------------------------------
# Scoring a pass at a threshold.


def evaluate(
    method: str,
    threshold: float,
    queries: list[Query],
    result: Pass,
    timed: Optional[Pass],
    negatives_total: int,
) -> dict:
    counts = {"exact": [0, 0], "perturbed": [0, 0], "negative": [0, 0]}
    for query, hits in zip(queries, result.hits):
        above = {index for index, score in hits if score >= threshold}
        tally = counts[query.kind]
        tally[1] += 1
        if query.kind == "negative":
            tally[0] += bool(above)
        else:
            tally[0] += bool(above & query.right)
    row = {
        "method": method,
        "threshold": threshold,
        "exact_found": counts["exact"][0],
        "exact_total": counts["exact"][1],
        "perturbed_found": counts["perturbed"][0],
        "perturbed_total": counts["perturbed"][1],
        "negative_alerts": counts["negative"][0],
        "negatives_screened": counts["negative"][1],
        "negatives_total": negatives_total,
    }
    if counts["negative"][1] < negatives_total:
        rate = counts["negative"][0] / max(1, counts["negative"][1])
        row["negative_alert_rate_in_sample"] = rate
        row["negative_alerts_extrapolated_estimate"] = round(rate * negatives_total, 1)
    if timed is not None:
        row.update(timing(timed.seconds))
    return row


def timing(seconds: list[float]) -> dict:
    total = sum(seconds)
    return {
        "queries_timed": len(seconds),
        "queries_per_second": len(seconds) / total if total else 0.0,
        "mean_ms": 1000 * statistics.fmean(seconds),
        "median_ms": 1000 * statistics.median(seconds),
    }


def sweep(
    method: str, thresholds: list[float], queries: list[Query], result: Pass, negatives_total: int
) -> list[dict]:
    return [evaluate(method, t, queries, result, None, negatives_total) for t in thresholds]


def best_with_at_most_one_alert(rows: list[dict]) -> Optional[dict]:
    allowed = [r for r in rows if r["negative_alerts"] <= 1]
    if not allowed:
        return None
    return max(allowed, key=lambda r: (r["exact_found"] + r["perturbed_found"], -r["threshold"]))


# --------------------------------------------------------------------------
# Output.


def percent(found: int, total: int) -> str:
    return f"{found}/{total} ({100 * found / total:.1f}%)" if total else "-"


def markdown(rows: list[dict]) -> str:
    lines = [
        "| method | threshold | queries/s | mean ms | median ms | exact found | perturbed found | false alerts on negatives |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        alerts = f"{r['negative_alerts']}/{r['negatives_screened']}"
        if "negative_alerts_extrapolated_estimate" in r:
            alerts += (
                f" (sample; extrapolated to {r['negatives_total']}: "
                f"~{r['negative_alerts_extrapolated_estimate']:g}, an estimate)"
            )
        lines.append(
            f"| {r['method']} | {r['threshold']:g} | {r.get('queries_per_second', 0):,.0f} | "
            f"{r.get('mean_ms', 0):.3f} | {r.get('median_ms', 0):.3f} | "
            f"{percent(r['exact_found'], r['exact_total'])} | "
            f"{percent(r['perturbed_found'], r['perturbed_total'])} | {alerts} |"
        )
    return "\n".join(lines)


def sweep_markdown(title: str, rows: list[dict]) -> str:
    lines = [
        f"{title}",
        "",
        "| threshold | exact found | perturbed found | false alerts |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['threshold']:g} | {percent(r['exact_found'], r['exact_total'])} | "
            f"{percent(r['perturbed_found'], r['perturbed_total'])} | "
            f"{r['negative_alerts']}/{r['negatives_screened']} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data folder with lists/ and eval/; default: $SCREENER_DATA_DIR, "
        "else ../shared/data from the repository root",
    )
    parser.add_argument(
        "--negatives",
        type=int,
        default=50_000,
        help="negatives screened by RapidFuzz (a seeded random sample when below the file's 50,000)",
    )
    parser.add_argument(
        "--nk-negatives",
        type=int,
        default=5_000,
        help="negatives screened by nomenklatura, a seeded random sample (default 5000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the negative samples")
    parser.add_argument(
        "--qualifiers",
        action="store_true",
        help="give nomenklatura birth dates and nationalities on both sides (default: names only)",
    )
    parser.add_argument("--skip-nomenklatura", action="store_true")
    parser.add_argument("--skip-rapidfuzz", action="store_true")
    parser.add_argument("--json", type=Path, default=Path("peers-results.json"), help="JSON output file")
    return parser.parse_args()


def find_data_dir(given: Optional[Path]) -> Path:
    repo_root = Path(__file__).resolve().parents[2]
    candidates = [given] if given else []
    if os.environ.get("SCREENER_DATA_DIR"):
        candidates.append(Path(os.environ["SCREENER_DATA_DIR"]))
    candidates.append(repo_root.parent / "shared" / "data")
    for candidate in candidates:
        if candidate and (candidate / UN_LIST).is_file():
            return candidate
    sys.exit(
        f"data folder not found (looked for {UN_LIST} under {', '.join(map(str, candidates))}); "
        "pass --data-dir or set SCREENER_DATA_DIR"
    )


def run_rapidfuzz(args, exact, perturbed, negatives_total, choices, choice_entry, data_dir, info):
    queries = exact + perturbed + info["rf_negatives"]
    rows, sweeps = [], {}

    # Jaro-Winkler: sweep thresholds from one pass with a low cutoff, then
    # time a pass at the threshold with the best found rate and <= 1 alert.
    print(f"RapidFuzz JaroWinkler: {len(queries)} queries", file=sys.stderr)
    scorer = JaroWinkler.normalized_similarity
    low = rapidfuzz_pass(queries, choices, choice_entry, scorer, 0.80)
    thresholds = [round(0.80 + 0.01 * i, 2) for i in range(21)]
    jw_sweep = sweep("rapidfuzz JaroWinkler", thresholds, queries, low, negatives_total)
    sweeps["jaro_winkler"] = jw_sweep
    best = best_with_at_most_one_alert(jw_sweep)
    for threshold in sorted({0.90, 0.95, best["threshold"] if best else 1.0}):
        timed = rapidfuzz_pass(queries, choices, choice_entry, scorer, threshold)
        rows.append(evaluate("rapidfuzz extractOne JaroWinkler", threshold, queries, timed, timed, negatives_total))

    # WRatio at cutoff 95 and two lower ones, each timed at its cutoff.
    print(f"RapidFuzz WRatio: {len(queries)} queries", file=sys.stderr)
    wr_rows = []
    for cutoff in [95.0, 90.0, 85.0]:
        timed = rapidfuzz_pass(queries, choices, choice_entry, fuzz.WRatio, cutoff)
        wr_rows.append(evaluate("rapidfuzz extractOne WRatio", cutoff, queries, timed, timed, negatives_total))
    rows.extend(wr_rows)
    return rows, sweeps


def main() -> None:
    args = parse_args()
    data_dir = find_data_dir(args.data_dir)
    entries = load_un_list(data_dir / UN_LIST)
    choices, choice_entry = [], []
    for index, entry in enumerate(entries):
        for name in entry.names():
            choices.append(utils.default_process(name))
            choice_entry.append(index)

    exact, perturbed, rf_negatives, info = build_queries(data_dir, entries, args.negatives, args.seed)
    negatives_total = info["negatives_total"]
    info["rf_negatives"] = rf_negatives
    rows: list[dict] = []
    sweeps: dict = {}

    if not args.skip_rapidfuzz:
        rf_rows, sweeps = run_rapidfuzz(
            args, exact, perturbed, negatives_total, choices, choice_entry, data_dir, info
        )
        rows.extend(rf_rows)

    if not args.skip_nomenklatura:
        nk_negatives = rf_negatives
        if args.nk_negatives < len(rf_negatives):
            nk_negatives = random.Random(args.seed).sample(rf_negatives, args.nk_negatives)
        queries = exact + perturbed + nk_negatives
        label = "nomenklatura LogicV2" + (" + dob/nationality" if args.qualifiers else "")
        print(f"{label}: {len(queries)} queries", file=sys.stderr)
        result = nomenklatura_pass(queries, entries, choices, choice_entry, args.qualifiers, 10, True)
        for threshold in [0.6, 0.7]:
            rows.append(
                evaluate(f"{label} on WRatio top 10", threshold, queries, result, result, negatives_total)
            )

    del info["rf_negatives"]
    environment = {
        "python": platform.python_version(),
        "rapidfuzz": version("rapidfuzz"),
        "nomenklatura": version("nomenklatura"),
        "followthemoney": version("followthemoney"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "list_entries": len(entries),
        "list_names": len(choices),
    }
    print(markdown(rows))
    print()
    if "jaro_winkler" in sweeps:
        print(sweep_markdown("RapidFuzz JaroWinkler threshold sweep (one pass, cutoff 0.80):", sweeps["jaro_winkler"]))
        print()
    excluded = info["positives_excluded_not_primary_name"]
    print(
        f"Positives: {info['positives']} rows, {len(excluded)} excluded because their name is no "
        f"entry's primary name: {', '.join(excluded)}. Perturbed row {PERTURBED_OTHER_PERSON_ROW} "
        "names another listed person; a hit on either counts as found."
    )
    print(f"Environment: {json.dumps(environment)}")
    args.json.write_text(
        json.dumps({"environment": environment, "data": info, "results": rows, "sweeps": sweeps}, indent=2)
        + "\n"
    )
    print(f"JSON written to {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
