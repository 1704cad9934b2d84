"""Reviewed passages as fine-tuning examples: JSON Lines for `propmine train`, and a Hugging Face dataset.

Which passages become examples:
  - only reviewed passages (every model record in them accepted, corrected or rejected, or the
    passage marked done); a half-reviewed passage would teach the model to miss what is left;
  - records: the accepted ones as they stand after corrections, and the records reviewers added;
  - a passage whose records were all rejected, or that was marked done with none, is a negative
    (records []);
  - `properties` names the properties the passage's records were about (accepted, corrected,
    added or rejected), so a negative says "no band gap here", not "nothing at all here"; a
    passage marked done with no records at all says the latter (properties null).
Every record is checked as the constrained decoder would: the value must be a quantity the model
can write for the passage and the material exact passage text; a passage that fails is left out
and counted, never written with a record missing.

Exports write only the chosen file or directory: paths whose `..` climbs out of the working
directory are refused, symbolic links are not followed, and an existing file or directory that is
not an earlier export is not overwritten without --force.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from labeling.labels import allowed_values
from labeling.review import PassageView, RecordFields, load_passage, load_queue
from schemas.errors import InputError
from schemas.storage import atomic_path, atomic_write_text, prepare_export_dir

CORPUS = "labels"


@dataclass
class ExportStats:
    examples: int = 0
    positives: int = 0
    negatives: int = 0
    records: int = 0
    unreviewed: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)
    per_property: Counter = field(default_factory=Counter)
    reviewers: set[str] = field(default_factory=set)

    def summary(self) -> str:
        text = (
            f"{self.examples} examples ({self.positives} with records, {self.negatives} negatives; "
            f"{self.records} records)"
        )
        if self.unreviewed:
            text += f"; {self.unreviewed} queued passages not fully reviewed yet, left out"
        if self.invalid:
            text += f"; {self.invalid} left out: a record is not text the model can write"
        return text


def _split_of(paper_id: str) -> str:
    """One paper in five is dev, by a hash of its id (as the corpora builders split)."""
    return "dev" if int(hashlib.sha256(paper_id.encode()).hexdigest(), 16) % 5 == 0 else "train"


def _record_problem(view: PassageView, fields: RecordFields) -> str | None:
    text = view.passage.text
    if fields.material not in text:
        return f"material {fields.material!r} is not in the passage"
    if fields.value not in {a[0] for a in allowed_values(view.passage, fields.property)}:
        return f"value {fields.value!r} is not a quantity the model can write for {fields.property}"
    return None


def example_of(view: PassageView) -> tuple[dict[str, Any] | None, str | None]:
    """The fine-tuning example of one reviewed passage, or None with the reason it is left out."""
    if not view.reviewed:
        return None, "unreviewed"
    kept, properties = [], set()
    for item in view.items:
        if not item.exists or item.fields is None:
            continue
        properties.add(item.fields.property)
        if item.decision != "accept":
            continue
        problem = _record_problem(view, item.fields)
        if problem:
            return None, f"{view.passage.passage_id}: {problem}"
        record = {
            "material": item.fields.material,
            "property": item.fields.property,
            "value": item.fields.value,
            "unit": item.fields.unit,
        }
        if record not in kept:
            kept.append(record)
    labels = [lb for it in [*view.items, view.passage_state] for lb in it.history]
    p = view.passage
    return {
        "id": f"label:{p.passage_id}",
        "corpus": CORPUS,
        "paper": p.paper_id,
        "split": _split_of(p.paper_id),
        "passage": {"text": p.text, "context": p.context or ""},
        "properties": sorted(properties) or None,
        "records": kept,
        "labeled_by": sorted({lb.who for lb in labels}),
        "labeled_at": max(lb.labeled_at for lb in labels).isoformat(timespec="seconds") if labels else None,
    }, None


def labeled_examples(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], ExportStats]:
    """Every reviewed passage as an example, in paper and text order."""
    stats = ExportStats()
    rows = con.execute(
        "SELECT DISTINCT l.passage_id, p.paper_id, p.char_start FROM labels l "
        "JOIN passages p USING (passage_id) ORDER BY p.paper_id, p.char_start"
    ).fetchall()
    examples = []
    for passage_id, _, _ in rows:
        view = load_passage(con, passage_id)
        example, reason = example_of(view)
        if example is None:
            if reason != "unreviewed":
                stats.invalid += 1
                stats.problems.append(reason or "?")
            continue
        examples.append(example)
        stats.examples += 1
        stats.records += len(example["records"])
        stats.per_property.update(r["property"] for r in example["records"])
        stats.reviewers.update(example["labeled_by"])
        if example["records"]:
            stats.positives += 1
        else:
            stats.negatives += 1
    _, progress = load_queue(con)
    stats.unreviewed = progress.passages - progress.reviewed
    return examples, stats


# ---------------------------------------------------------------- where exports may write


def check_output_path(path: str | Path, cwd: Path | None = None) -> Path:
    """The absolute path an export may write, refusing `..` that climbs out of the working directory.

    Raises:
        InputError: the path escapes the working directory through `..`.
    """
    raw = Path(path)
    cwd = (cwd or Path.cwd()).resolve()
    if ".." in raw.parts:
        lexical = Path(os.path.normpath(cwd / raw))
        if lexical != cwd and cwd not in lexical.parents:
            raise InputError(f"{path}: refusing a path whose '..' leads out of the working directory; give it plainly")
    return Path(os.path.normpath(cwd / raw))


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise InputError(f"{path} is a symbolic link; exports do not write through links, give the real path")


def _is_jsonl_export(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
        return not first.strip() or json.loads(first).get("corpus") == CORPUS
    except (OSError, ValueError, AttributeError):
        return False


def check_target_file(path: str | Path, is_earlier_export: Callable[[Path], bool], force: bool) -> Path:
    """Check a file an export is about to (over)write; returns its absolute path.

    Raises:
        InputError: a directory or link is in the way, or a file that is not an earlier export (without force).
    """
    target = check_output_path(path)
    _refuse_link(target)
    if target.is_dir():
        raise InputError(f"{path} is a directory; give a file name")
    if target.exists() and not force and not is_earlier_export(target):
        raise InputError(f"{path} exists and is not an earlier propmine export; choose another name or pass --force")
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: no such directory")
    return target


def export_jsonl(con: duckdb.DuckDBPyConnection, out: str | Path, force: bool = False) -> ExportStats:
    """Write the labels as `propmine train` examples (JSON Lines) to out.

    Raises:
        InputError: out is not a place this export may write (see check_target_file), or nothing is reviewed yet.
    """
    target = check_target_file(out, _is_jsonl_export, force)
    examples, stats = labeled_examples(con)
    if not examples:
        raise InputError(
            f"no reviewed passages to export yet ({stats.summary()}); label some in `propmine label serve`"
        )
    atomic_write_text(target, "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples))
    return stats


def jsonl_text(con: duckdb.DuckDBPyConnection) -> tuple[str, ExportStats]:
    """The same examples as one JSON Lines text (for the UI's download)."""
    examples, stats = labeled_examples(con)
    return "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples), stats


# ---------------------------------------------------------------- Hugging Face datasets


def _features():
    from datasets import Features, List, Value

    record = {
        "material": Value("string"),
        "property": Value("string"),
        "value": Value("string"),
        "unit": Value("string"),
    }
    return Features(
        {
            "id": Value("string"),
            "corpus": Value("string"),
            "paper": Value("string"),
            "split": Value("string"),
            "passage": {"text": Value("string"), "context": Value("string")},
            "properties": List(Value("string")),
            "records": List(record),
            "labeled_by": List(Value("string")),
            "labeled_at": Value("string"),
        }
    )


def export_hf(con: duckdb.DuckDBPyConnection, out_dir: str | Path, db_name: str, force: bool = False) -> ExportStats:
    """Write the labels as a Hugging Face dataset: Parquet shards per split and a dataset card.

    The directory loads with `datasets.load_dataset("parquet", data_dir=DIR)` or, as on the Hub,
    `datasets.load_dataset(DIR)` (the card's YAML names the files).

    Raises:
        InputError: out_dir is not a place this export may write, or nothing is reviewed yet.
    """
    from datasets import Dataset

    export_dir = prepare_export_dir(check_output_path(out_dir), kind="propmine-labels", force=force, option=None)
    examples, stats = labeled_examples(con)
    if not examples:
        raise InputError(
            f"no reviewed passages to export yet ({stats.summary()}); label some in `propmine label serve`"
        )
    export_dir.begin()
    data = export_dir.path("data")
    data.mkdir(exist_ok=True)
    splits, written = {}, []
    for split in ("train", "dev"):
        rows = [ex for ex in examples if ex["split"] == split]
        name = f"data/{split}-00000-of-00001.parquet"
        if not rows:
            # A split an earlier export (of the old manifest, which listed no files) had and this one does not;
            # unlink removes a link, not its target.
            export_dir.path(name).unlink(missing_ok=True)
            continue
        with atomic_path(export_dir.path(name)) as temp:
            Dataset.from_list(rows, features=_features()).to_parquet(str(temp))
        splits[split] = len(rows)
        written.append(name)
    atomic_write_text(export_dir.path("README.md"), dataset_card(stats, splits, db_name))
    export_dir.write_manifest([*written, "README.md"], db=db_name, splits=splits)
    return stats


def dataset_card(stats: ExportStats, splits: dict[str, int], db_name: str) -> str:
    """The README.md of the dataset: YAML for the Hub loader, then what the data is and how it was made."""
    configs = "\n".join(f"  - split: {s}\n    path: data/{s}-*.parquet" for s in splits)
    per_property = "\n".join(f"| {name} | {n} |" for name, n in stats.per_property.most_common()) or "| (none) | 0 |"
    return f"""---
language:
- en
pretty_name: propmine reviewed material-property records
tags:
- materials-science
- information-extraction
- propmine
task_categories:
- text-generation
configs:
- config_name: default
  data_files:
{configs}
---

# propmine labels: reviewed material-property records

Passages of scientific papers with the material-property records people reviewed in
`propmine label serve` (or Label Studio), exported from `{db_name}` on
{datetime.now(UTC):%Y-%m-%d}. Each row is one fine-tuning example for propmine's extractor, in
the format `propmine train --data` reads.

| | |
|---|---|
| examples | {stats.examples} ({", ".join(f"{s}: {n}" for s, n in splits.items())}) |
| with records | {stats.positives} |
| negatives (records: []) | {stats.negatives} |
| records | {stats.records} |
| reviewers | {len(stats.reviewers)} |

| property | records |
|---|---|
{per_property}

## Fields

- `passage.text`: the passage as propmine's parser wrote it; `passage.context`: a table's caption
  and header row, shown to the model before the text.
- `properties`: the properties the passage was reviewed for (null: reviewed for all).
- `records`: `material` is exact text of the passage; `value` is exactly the text of a quantity
  propmine's tagger finds in the passage (number and unit); `unit` only when the passage gives it
  apart from the number (a table header).
- `split`: one paper in five is `dev`, by a hash of `paper` (the paper's sha256).
- `labeled_by`, `labeled_at`: who reviewed the passage, and the time of the latest label (UTC).

## How it was made

A model proposed the records; a person accepted, corrected or rejected each of them against the
highlighted passage and added the ones it missed. Only fully reviewed passages are exported. A
passage whose proposals were all rejected is a negative for the properties in `properties`.

## License

The passages are excerpts of the source papers: check each paper's license before you share this
dataset. The labels are yours.
"""
