-- Job state of the gateway (the only writer of this database).

create table identities (
    id               uuid primary key,
    source_prompt    text        not null,
    object_word      text        not null,
    has_mask         boolean     not null,
    reference_prompt text,
    attribute_word   text,
    created_at       timestamptz not null
);

create table jobs (
    id             uuid primary key,
    identity_id    uuid        not null references identities (id),
    kind           varchar(16) not null,
    status         varchar(16) not null,
    parent_id      uuid references jobs (id),
    attempt        int         not null,
    -- the job message (common's FineTuneJob / InvertJob / EditJob JSON), published on release
    message        text        not null,
    -- when the outbox row was written; null while waiting for the parent
    released_at    timestamptz,
    progress_step  int,
    progress_total int,
    progress_stage varchar(64),
    metrics        text,
    outputs        text,
    error_reason   text,
    webhook_url    text,
    webhook_events varchar(64),
    created_at     timestamptz not null,
    started_at     timestamptz,
    completed_at   timestamptz,
    version        bigint      not null
);
create index jobs_by_identity on jobs (identity_id, created_at);
create index jobs_by_parent on jobs (parent_id);
create index jobs_by_created on jobs (created_at desc, id);

create table outbox (
    id           bigserial primary key,
    job_id       uuid         not null references jobs (id),
    topic        varchar(128) not null,
    message_key  varchar(128) not null,
    payload      text         not null,
    created_at   timestamptz  not null,
    published_at timestamptz,
    attempts     int          not null,
    last_error   text
);
create index outbox_unpublished on outbox (id) where published_at is null;

create table idempotency_keys (
    idem_key    varchar(255) not null,
    scope       varchar(255) not null,
    fingerprint varchar(64)  not null,
    -- JSON array of the job ids the first request answered with
    job_ids     text         not null,
    created_at  timestamptz  not null,
    primary key (idem_key, scope)
);

create table webhook_deliveries (
    -- the webhook-id header: fixed per job for the terminal event, so retries and duplicates share it
    id              varchar(128) primary key,
    job_id          uuid         not null references jobs (id),
    event           varchar(16)  not null,
    url             text         not null,
    payload         text         not null,
    status          varchar(16)  not null,
    attempts        int          not null,
    next_attempt_at timestamptz  not null,
    last_status     int,
    last_error      text,
    created_at      timestamptz  not null,
    delivered_at    timestamptz
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_by_job on webhook_deliveries (job_id);
