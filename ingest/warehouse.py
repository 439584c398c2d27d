"""The raw layer of the warehouse: the tables ingest writes and dbt reads as sources."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from outreach.core import warehouse

RAW_DDL = """
create schema if not exists raw;

create table if not exists raw.submission_manifest (
    submission_id varchar primary key,
    content_sha256 varchar not null,
    file_name varchar not null,
    file_kind varchar,
    source_code varchar,
    report_month date,
    revision integer,
    file_format varchar,
    file_size_bytes bigint not null,
    received_at timestamptz not null,
    ingested_at timestamptz not null,
    status varchar not null check (status in ('accepted', 'rejected')),
    error_count integer not null,
    warning_count integer not null,
    row_count integer not null,
    text_encoding varchar,
    sheet_name varchar,
    header_row integer,
    stored_path varchar not null,
    error_report_path varchar
);

create table if not exists raw.submission_rows (
    submission_id varchar not null,
    row_number integer not null,
    activity_date date not null,
    topic_code varchar not null,
    output_type_code varchar not null,
    quantity bigint not null,
    commune_code varchar,
    people_reached bigint,
    title varchar,
    url varchar,
    note varchar,
    primary key (submission_id, row_number)
);

create table if not exists raw.directive_documents (
    submission_id varchar not null,
    row_number integer not null,
    document_number varchar not null,
    issued_date date not null,
    summary varchar not null,
    topic_code varchar,
    primary key (submission_id, row_number)
);

-- the periods the department approved (from the portal's approvals file, replaced each night)
create table if not exists raw.period_approvals (
    province_code varchar not null,
    period_code varchar not null,
    approved_at timestamptz not null,
    approved_by varchar not null,
    -- the figures approved are those built from the files ingested until then
    counts_files_until timestamptz,
    primary key (province_code, period_code)
);
alter table raw.period_approvals add column if not exists counts_files_until timestamptz;

create table if not exists raw.submission_problems (
    submission_id varchar not null,
    problem_number integer not null,
    severity varchar not null check (severity in ('error', 'warning')),
    problem_code varchar not null,
    row_number integer,
    column_name varchar,
    message_vi varchar not null,
    message_en varchar not null,
    primary key (submission_id, problem_number)
);

-- what outlets published, as the collector read it from their feeds and sitemaps
-- (ingest/published.py): one row per read of a feed, and the items that read listed
create table if not exists raw.published_reads (
    read_id varchar primary key,
    source_code varchar not null,
    feed_url varchar not null,
    fetched_url varchar,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    outcome varchar not null check (outcome in ('ok', 'robots_disallowed', 'refused', 'failed')),
    -- what the document was: rss, atom, sitemap or sitemap index (a sitemap lists the whole
    -- site; a feed only its latest items)
    feed_kind varchar,
    http_status integer,
    error_en varchar,
    item_count integer not null,
    byte_count bigint not null,
    oldest_item_at timestamptz,
    newest_item_at timestamptz
);

create table if not exists raw.published_items (
    read_id varchar not null,
    item_number integer not null,
    source_code varchar not null,
    item_url varchar not null,
    title varchar,
    summary varchar,
    section varchar,
    published_at timestamptz,
    primary key (read_id, item_number)
);
"""


def connect(
    path: Path, *, read_only: bool = False
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A short-lived connection; writers create the raw layer if it is not there yet."""
    return warehouse.connect(path, read_only=read_only, ddl=RAW_DDL)
