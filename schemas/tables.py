"""The DuckDB tables, with the schema version every database file records in `meta`.

Nested parts of a record (conditions, spans, evidence, ...) are JSON columns; the fields people
filter on most (method_kind, credibility_score, page, origin) are also plain columns.
"""

SCHEMA_VERSION = 4

# The review log of the labeling UI: append-only, one row per action, never updated or deleted.
# A row is about one item: a model record (record_id), a record a reviewer added (record_id 'added-...'),
# or a whole passage (record_id NULL). `version` counts the item's actions; label_id is
# 'ITEM@VERSION', so two writes that saw the same version cannot both land (the primary key refuses
# the second). `fields` holds the record as it stands after the action. An undo is a row of its own.
LABELS_DDL = """
CREATE TABLE IF NOT EXISTS labels (
    label_id VARCHAR PRIMARY KEY,     -- ITEM@VERSION
    record_id VARCHAR,                -- a records.record_id, 'added-...' for an added record, NULL for the passage
    paper_id VARCHAR,
    passage_id VARCHAR,
    action VARCHAR,                   -- accept, reject, correct, add, credible, not_credible, done, undo
    fields JSON,                      -- {material, property, value, unit, spans} after the action
    who VARCHAR,
    labeled_at TIMESTAMP DEFAULT current_timestamp,
    version INTEGER DEFAULT 1,
    undoes VARCHAR,                   -- for an undo: the label_id it takes back
    via VARCHAR                       -- ui, label-studio
);
"""

DDL = (
    """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS papers (
    paper_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    kind VARCHAR,
    title VARCHAR,
    doi VARCHAR,
    n_pages INTEGER,
    status VARCHAR NOT NULL,          -- success, partial, failed, skipped
    error VARCHAR,
    n_records INTEGER DEFAULT 0,
    n_rejected INTEGER DEFAULT 0,
    run_id VARCHAR,
    updated_at TIMESTAMP DEFAULT current_timestamp,
    extraction_key VARCHAR
);

CREATE TABLE IF NOT EXISTS passages (
    passage_id VARCHAR PRIMARY KEY,
    paper_id VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    context VARCHAR,
    char_start INTEGER,
    char_end INTEGER,
    origin VARCHAR,
    page INTEGER,
    section VARCHAR,
    is_candidate BOOLEAN
);

CREATE TABLE IF NOT EXISTS records (
    record_id VARCHAR PRIMARY KEY,
    paper_id VARCHAR NOT NULL,
    doi VARCHAR,
    source VARCHAR,
    material VARCHAR,
    formula VARCHAR,
    property VARCHAR,
    property_text VARCHAR,
    value DOUBLE,
    value_max DOUBLE,
    uncertainty DOUBLE,
    qualifier VARCHAR,
    unit VARCHAR,
    value_canonical DOUBLE,
    value_max_canonical DOUBLE,
    unit_canonical VARCHAR,
    conditions JSON,
    method JSON,
    method_kind VARCHAR,
    spans JSON,
    evidence JSON,
    page INTEGER,
    origin VARCHAR,
    credibility JSON,
    credibility_score DOUBLE,
    extractor JSON,
    run_id VARCHAR
);

CREATE TABLE IF NOT EXISTS rejected_records (
    paper_id VARCHAR NOT NULL,
    passage_id VARCHAR,
    reason VARCHAR,
    proposed JSON,
    extractor JSON,
    run_id VARCHAR
);


-- A series along a condition (band gap vs temperature), read off a plot: a curve, not records.
CREATE TABLE IF NOT EXISTS curves (
    paper_id VARCHAR NOT NULL,
    figure_number INTEGER,
    panel VARCHAR,
    page INTEGER,
    label VARCHAR,
    material VARCHAR,
    property VARCHAR,
    y_label VARCHAR,
    y_unit VARCHAR,
    y_scale VARCHAR,
    x_label VARCHAR,
    x_unit VARCHAR,
    x_scale VARCHAR,
    x_condition VARCHAR,
    points JSON,
    reader VARCHAR,
    run_id VARCHAR
);

CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    command VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    n_papers INTEGER,
    n_records INTEGER,
    settings JSON
);
"""
    + LABELS_DDL
)

# The figures: one row per plot a reader looked at (a panel), with its status and axes.
FIGURES_DDL = """
CREATE TABLE IF NOT EXISTS figures (
    paper_id VARCHAR NOT NULL,
    number INTEGER,
    page INTEGER,
    bbox JSON,
    caption VARCHAR,
    kind VARCHAR,
    panel VARCHAR,
    status VARCHAR,
    reason VARCHAR,
    reader VARCHAR,
    axes JSON
);
"""
DDL += FIGURES_DDL

# Statements that bring a database of an older schema version up to this one, by the version they start from.
MIGRATIONS = {
    1: ["ALTER TABLE papers ADD COLUMN IF NOT EXISTS extraction_key VARCHAR"],
    # 2 -> 3: labels became an append-only log with undo rows and where each label came from.
    # Creating the table first lets a database that never had one (made before labels existed) migrate too.
    2: [
        LABELS_DDL,
        "ALTER TABLE labels ADD COLUMN IF NOT EXISTS undoes VARCHAR",
        "ALTER TABLE labels ADD COLUMN IF NOT EXISTS via VARCHAR",
    ],
    # 3 -> 4: figures read by a figure reader (one row per panel, with its status) and the curves table (in DDL).
    3: [FIGURES_DDL]
    + [
        f"ALTER TABLE figures ADD COLUMN IF NOT EXISTS {column}"
        for column in ("panel VARCHAR", "status VARCHAR", "reason VARCHAR", "reader VARCHAR", "axes JSON")
    ],
}

# Tables that hold one paper's extraction output: replaced whole when the paper is written again.
PAPER_TABLES = ("passages", "records", "rejected_records", "figures", "curves")
