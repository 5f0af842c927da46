-- The full opsroom schema as src/store/migrations/*.sql leave it, from pg_dump --schema-only.
-- Generated, not applied: migrations are the source of truth. test/store/schema.test.ts checks that this
-- file matches them; regenerate with UPDATE_SCHEMA=1 (see that test).

CREATE TABLE public.approvals (
    id bigint NOT NULL,
    run_id uuid NOT NULL,
    approver text NOT NULL,
    decision text NOT NULL,
    plan_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    override_reason text,
    CONSTRAINT approvals_decision_check CHECK ((decision = ANY (ARRAY['approve'::text, 'reject'::text]))),
    CONSTRAINT approvals_override_reason_given CHECK (((override_reason IS NULL) OR ((decision = 'approve'::text) AND (length(btrim(override_reason)) > 0))))
);

CREATE TABLE public.runs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    runbook text NOT NULL,
    title text NOT NULL,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    plan jsonb NOT NULL,
    plan_hash text NOT NULL,
    env text,
    service text,
    mutating boolean NOT NULL,
    status text NOT NULL,
    requested_by text NOT NULL,
    source text NOT NULL,
    origin jsonb DEFAULT '{}'::jsonb NOT NULL,
    idempotency_key text,
    lock_key text,
    required_approvals integer DEFAULT 0 NOT NULL,
    self_approval boolean DEFAULT true NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    worker_id text,
    lease_expires_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    mutation_started boolean DEFAULT false NOT NULL,
    cancel_requested_at timestamp with time zone,
    cancel_requested_by text,
    failed_step text,
    error text,
    summary text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    seq bigint NOT NULL,
    requesters text[] NOT NULL,
    superseded_by uuid,
    mutating_step text,
    outcome_unknown boolean DEFAULT false NOT NULL,
    CONSTRAINT runs_requester_listed CHECK ((requested_by = ANY (requesters))),
    CONSTRAINT runs_required_approvals_check CHECK ((required_approvals >= 0)),
    CONSTRAINT runs_status_check CHECK ((status = ANY (ARRAY['pending_approval'::text, 'queued'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text, 'rejected'::text, 'expired'::text])))
);

CREATE FUNCTION public.approval_counts(a public.approvals, r public.runs) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT a.run_id = r.id AND a.decision = 'approve' AND a.plan_hash = r.plan_hash AND approval_may_count(r, a.approver)
$$;

CREATE FUNCTION public.approval_may_count(r public.runs, approver text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT r.self_approval OR approver <> ALL (r.requesters)
$$;

CREATE FUNCTION public.run_approvals_counted(r public.runs) RETURNS integer
    LANGUAGE sql STABLE
    AS $$
  SELECT count(*)::int FROM approvals a WHERE a.run_id = r.id AND approval_counts(a, r)
$$;

CREATE FUNCTION public.run_events_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM pg_notify('opsroom_run_events', NEW.run_id::text);
  RETURN NULL;
END $$;

CREATE FUNCTION public.runs_guard_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'a new run must be pending_approval or queued (got %)', NEW.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
END $$;

CREATE FUNCTION public.runs_guard_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF OLD.status IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired') THEN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.finished_at IS DISTINCT FROM OLD.finished_at THEN
      RAISE EXCEPTION 'run % is already %', OLD.id, OLD.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
    END IF;
  ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending_approval' AND NEW.status IN ('queued', 'rejected', 'expired', 'cancelled'))
    OR (OLD.status = 'queued'           AND NEW.status IN ('running', 'cancelled', 'expired'))
    OR (OLD.status = 'running'          AND NEW.status IN ('succeeded', 'failed', 'cancelled', 'queued'))
  ) THEN
    RAISE EXCEPTION 'run % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.status = 'pending_approval' AND NEW.status = 'queued' AND OLD.expires_at IS NOT NULL AND OLD.expires_at <= now() THEN
    RAISE EXCEPTION 'run % expired at %', OLD.id, OLD.expires_at USING ERRCODE = 'P0001', HINT = 'plan_expired';
  END IF;
  IF NEW.plan_hash IS DISTINCT FROM OLD.plan_hash AND OLD.status <> 'pending_approval' THEN
    RAISE EXCEPTION 'run % is %; its plan can no longer change', OLD.id, OLD.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.status = 'running' AND NEW.status = 'queued' AND OLD.mutation_started THEN
    RAISE EXCEPTION 'run % started changing things; it cannot be retried', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.mutation_started AND NOT NEW.mutation_started THEN
    RAISE EXCEPTION 'run % started changing things; that cannot be undone', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF NEW.status = 'running' AND OLD.status = 'queued' AND NEW.run_at > now() THEN
    RAISE EXCEPTION 'run % is scheduled for %', OLD.id, NEW.run_at USING ERRCODE = 'P0001', HINT = 'not_due';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE FUNCTION public.runs_notify_cancel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM pg_notify('opsroom_run_cancel', NEW.id::text);
  RETURN NULL;
END $$;

CREATE FUNCTION public.runs_notify_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  due integer;
  later timestamptz;
BEGIN
  SELECT count(*) FILTER (WHERE run_at <= now()), min(run_at) FILTER (WHERE run_at > now())
    INTO due, later FROM inserted WHERE status = 'queued';
  IF due > 0 OR later IS NOT NULL THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', due, 'at', later)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION public.runs_notify_lock_released() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM runs WHERE lock_key = NEW.lock_key AND status = 'queued' AND run_at <= now()) THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 1, 'at', NULL)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION public.runs_notify_requeued() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NEW.run_at <= now() THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 1, 'at', NULL)::text);
  ELSE
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 0, 'at', NEW.run_at)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION public.runs_require_approvals() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  approved integer;
BEGIN
  IF OLD.status = 'pending_approval' AND NEW.status = 'queued' THEN
    approved := run_approvals_counted(NEW);
    IF approved < NEW.required_approvals THEN
      RAISE EXCEPTION 'run % has % of % approvals for plan %', OLD.id, approved, NEW.required_approvals, NEW.plan_hash
        USING ERRCODE = 'P0001', HINT = 'not_approved';
    END IF;
  END IF;
  IF NEW.requesters IS DISTINCT FROM OLD.requesters OR NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'run %: who requested it cannot change', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF NEW.superseded_by IS DISTINCT FROM OLD.superseded_by
     AND NOT (OLD.superseded_by IS NULL AND OLD.status = 'pending_approval' AND NEW.status = 'cancelled') THEN
    RAISE EXCEPTION 'run % is %; only a plan waiting for approval can be replaced by an edit', OLD.id, OLD.status
      USING ERRCODE = 'P0001', HINT = 'not_editable';
  END IF;
  RETURN NEW;
END $$;

CREATE SEQUENCE public.approvals_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.approvals_id_seq OWNED BY public.approvals.id;

CREATE TABLE public.artifacts (
    id bigint NOT NULL,
    run_id uuid NOT NULL,
    step_id text,
    kind text NOT NULL,
    title text NOT NULL,
    content text,
    url text,
    filename text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT artifacts_kind_check CHECK ((kind = ANY (ARRAY['link'::text, 'text'::text, 'diff'::text, 'file'::text, 'json'::text, 'summary'::text])))
);

CREATE SEQUENCE public.artifacts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.artifacts_id_seq OWNED BY public.artifacts.id;

CREATE TABLE public.board_messages (
    channel text NOT NULL,
    message_ts text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.checklist_history (
    id bigint NOT NULL,
    step_id text NOT NULL,
    status text NOT NULL,
    owner text,
    notes text,
    previous jsonb,
    changed_by text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    run_id uuid
);

CREATE SEQUENCE public.checklist_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.checklist_history_id_seq OWNED BY public.checklist_history.id;

CREATE TABLE public.checklist_steps (
    step_id text NOT NULL,
    status text NOT NULL,
    owner text,
    notes text,
    updated_by text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    run_id uuid,
    CONSTRAINT checklist_steps_status_check CHECK ((status = ANY (ARRAY['healthy'::text, 'warning'::text, 'blocked'::text, 'done'::text])))
);

CREATE TABLE public.incident_messages (
    channel text NOT NULL,
    ts text NOT NULL,
    user_id text NOT NULL,
    text text NOT NULL,
    at timestamp with time zone NOT NULL
);

CREATE TABLE public.incident_summaries (
    channel text NOT NULL,
    message_ts text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.migration_file_runs (
    id bigint NOT NULL,
    env text NOT NULL,
    file_name text NOT NULL,
    checksum text NOT NULL,
    outcome text NOT NULL,
    dry_run boolean NOT NULL,
    duration_ms integer NOT NULL,
    error text,
    run_id uuid,
    at timestamp with time zone NOT NULL,
    CONSTRAINT migration_file_runs_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT migration_file_runs_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'failed'::text, 'rolled_back'::text])))
);

CREATE SEQUENCE public.migration_file_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.migration_file_runs_id_seq OWNED BY public.migration_file_runs.id;

CREATE TABLE public.rollouts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    run_id uuid NOT NULL,
    flag text NOT NULL,
    env text NOT NULL,
    lock_key text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    stages jsonb NOT NULL,
    every_seconds integer NOT NULL,
    stage integer DEFAULT 0 NOT NULL,
    next_at timestamp with time zone,
    current_run_id uuid,
    last_run_id uuid,
    original jsonb NOT NULL,
    gates jsonb DEFAULT '[]'::jsonb NOT NULL,
    reason text,
    status_message jsonb,
    updated_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text DEFAULT 'flag'::text NOT NULL,
    stage_started_at timestamp with time zone,
    changes jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT rollouts_every_seconds_check CHECK ((every_seconds >= 0)),
    CONSTRAINT rollouts_kind_check CHECK ((kind = ANY (ARRAY['flag'::text, 'release'::text]))),
    CONSTRAINT rollouts_status_check CHECK ((status = ANY (ARRAY['active'::text, 'paused'::text, 'succeeded'::text, 'reverted'::text, 'aborted'::text])))
);

CREATE TABLE public.run_events (
    id bigint NOT NULL,
    run_id uuid NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    kind text NOT NULL,
    phase text,
    step_id text,
    message text DEFAULT ''::text NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL
);

CREATE SEQUENCE public.run_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.run_events_id_seq OWNED BY public.run_events.id;

CREATE SEQUENCE public.runs_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.runs_seq_seq OWNED BY public.runs.seq;

CREATE TABLE public.schedule_occurrences (
    schedule_id uuid NOT NULL,
    occurrence_at timestamp with time zone NOT NULL,
    fired boolean NOT NULL,
    skipped integer DEFAULT 0 NOT NULL,
    skipped_from timestamp with time zone,
    run_id uuid,
    claimed_by text NOT NULL,
    claimed_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    skip_reported_at timestamp with time zone,
    read_at timestamp with time zone
);

CREATE TABLE public.schedules (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    config_key text,
    idempotency_key text,
    kind text NOT NULL,
    source text DEFAULT 'run'::text NOT NULL,
    cron text NOT NULL,
    cadence text NOT NULL,
    time_zone text NOT NULL,
    request text NOT NULL,
    runbook text,
    plan jsonb,
    channel text,
    owner text,
    follow text[] DEFAULT '{}'::text[] NOT NULL,
    confirm_count integer DEFAULT 1 NOT NULL,
    quiet_minutes integer DEFAULT 0 NOT NULL,
    status text NOT NULL,
    required_approvals integer DEFAULT 0 NOT NULL,
    self_approval boolean DEFAULT true NOT NULL,
    approved_by text[] DEFAULT '{}'::text[] NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    stopped_by text,
    stopped_at timestamp with time zone,
    silenced_until timestamp with time zone,
    next_at timestamp with time zone,
    last_reading_at timestamp with time zone,
    CONSTRAINT schedules_confirm_count_check CHECK (((confirm_count >= 1) AND (confirm_count <= 20))),
    CONSTRAINT schedules_kind_check CHECK ((kind = ANY (ARRAY['run'::text, 'watch'::text]))),
    CONSTRAINT schedules_quiet_minutes_check CHECK ((quiet_minutes >= 0)),
    CONSTRAINT schedules_source_check CHECK ((source = ANY (ARRAY['run'::text, 'worker-heartbeats'::text, 'stuck-approvals'::text]))),
    CONSTRAINT schedules_status_check CHECK ((status = ANY (ARRAY['pending_approval'::text, 'active'::text, 'stopped'::text])))
);

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.slack_deliveries (
    key text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.slack_run_reporters (
    run_id uuid NOT NULL,
    owner text NOT NULL,
    lease_until timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);

CREATE TABLE public.watch_alerts (
    id bigint NOT NULL,
    schedule_id uuid NOT NULL,
    occurrence_at timestamp with time zone NOT NULL,
    item_key text NOT NULL,
    alert jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_by text,
    claimed_at timestamp with time zone,
    delivered_at timestamp with time zone
);

CREATE SEQUENCE public.watch_alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.watch_alerts_id_seq OWNED BY public.watch_alerts.id;

CREATE TABLE public.watch_states (
    schedule_id uuid NOT NULL,
    item_key text NOT NULL,
    state jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.workers (
    id text NOT NULL,
    hostname text NOT NULL,
    pid integer NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL,
    stopped_at timestamp with time zone,
    lease_ms integer DEFAULT 30000 NOT NULL,
    CONSTRAINT workers_lease_ms_check CHECK ((lease_ms > 0))
);

ALTER TABLE ONLY public.approvals ALTER COLUMN id SET DEFAULT nextval('public.approvals_id_seq'::regclass);

ALTER TABLE ONLY public.artifacts ALTER COLUMN id SET DEFAULT nextval('public.artifacts_id_seq'::regclass);

ALTER TABLE ONLY public.checklist_history ALTER COLUMN id SET DEFAULT nextval('public.checklist_history_id_seq'::regclass);

ALTER TABLE ONLY public.migration_file_runs ALTER COLUMN id SET DEFAULT nextval('public.migration_file_runs_id_seq'::regclass);

ALTER TABLE ONLY public.run_events ALTER COLUMN id SET DEFAULT nextval('public.run_events_id_seq'::regclass);

ALTER TABLE ONLY public.runs ALTER COLUMN seq SET DEFAULT nextval('public.runs_seq_seq'::regclass);

ALTER TABLE ONLY public.watch_alerts ALTER COLUMN id SET DEFAULT nextval('public.watch_alerts_id_seq'::regclass);

ALTER TABLE ONLY public.approvals
    ADD CONSTRAINT approvals_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.approvals
    ADD CONSTRAINT approvals_run_id_approver_key UNIQUE (run_id, approver);

ALTER TABLE ONLY public.artifacts
    ADD CONSTRAINT artifacts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.board_messages
    ADD CONSTRAINT board_messages_pkey PRIMARY KEY (channel);

ALTER TABLE ONLY public.checklist_history
    ADD CONSTRAINT checklist_history_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.checklist_steps
    ADD CONSTRAINT checklist_steps_pkey PRIMARY KEY (step_id);

ALTER TABLE ONLY public.incident_messages
    ADD CONSTRAINT incident_messages_pkey PRIMARY KEY (channel, ts);

ALTER TABLE ONLY public.incident_summaries
    ADD CONSTRAINT incident_summaries_pkey PRIMARY KEY (channel);

ALTER TABLE ONLY public.migration_file_runs
    ADD CONSTRAINT migration_file_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.rollouts
    ADD CONSTRAINT rollouts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.run_events
    ADD CONSTRAINT run_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_idempotency_key_key UNIQUE (idempotency_key);

ALTER TABLE public.runs
    ADD CONSTRAINT runs_outcome_unknown_is_failed CHECK (((NOT outcome_unknown) OR (status = 'failed'::text))) NOT VALID;

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);

ALTER TABLE public.runs
    ADD CONSTRAINT runs_running_has_lease CHECK (((status <> 'running'::text) OR ((worker_id IS NOT NULL) AND (lease_expires_at IS NOT NULL)))) NOT VALID;

ALTER TABLE ONLY public.schedule_occurrences
    ADD CONSTRAINT schedule_occurrences_pkey PRIMARY KEY (schedule_id, occurrence_at);

ALTER TABLE ONLY public.schedules
    ADD CONSTRAINT schedules_config_key_key UNIQUE (config_key);

ALTER TABLE ONLY public.schedules
    ADD CONSTRAINT schedules_idempotency_key_key UNIQUE (idempotency_key);

ALTER TABLE ONLY public.schedules
    ADD CONSTRAINT schedules_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.slack_deliveries
    ADD CONSTRAINT slack_deliveries_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.slack_run_reporters
    ADD CONSTRAINT slack_run_reporters_pkey PRIMARY KEY (run_id);

ALTER TABLE ONLY public.watch_alerts
    ADD CONSTRAINT watch_alerts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.watch_alerts
    ADD CONSTRAINT watch_alerts_schedule_id_occurrence_at_item_key_key UNIQUE (schedule_id, occurrence_at, item_key);

ALTER TABLE ONLY public.watch_states
    ADD CONSTRAINT watch_states_pkey PRIMARY KEY (schedule_id, item_key);

ALTER TABLE ONLY public.workers
    ADD CONSTRAINT workers_pkey PRIMARY KEY (id);

CREATE INDEX artifacts_by_run ON public.artifacts USING btree (run_id, id);

CREATE INDEX checklist_history_by_step ON public.checklist_history USING btree (step_id, changed_at DESC, id DESC);

CREATE INDEX migration_file_runs_by_env ON public.migration_file_runs USING btree (env, dry_run, at DESC);

CREATE INDEX migration_file_runs_by_file ON public.migration_file_runs USING btree (file_name, env, at DESC);

CREATE INDEX rollouts_by_flag ON public.rollouts USING btree (flag, env, created_at);

CREATE INDEX rollouts_due ON public.rollouts USING btree (next_at) WHERE (status = 'active'::text);

CREATE UNIQUE INDEX rollouts_one_live_per_flag ON public.rollouts USING btree (lock_key) WHERE (status = ANY (ARRAY['active'::text, 'paused'::text]));

CREATE INDEX run_events_by_run ON public.run_events USING btree (run_id, id);

CREATE INDEX runs_by_channel ON public.runs USING btree (((origin ->> 'channel'::text)), created_at);

CREATE INDEX runs_by_requester ON public.runs USING btree (requested_by, created_at DESC);

CREATE INDEX runs_by_target ON public.runs USING btree (service, env, created_at DESC);

CREATE INDEX runs_changes ON public.runs USING btree (started_at) WHERE (mutating AND (started_at IS NOT NULL));

CREATE INDEX runs_claimable ON public.runs USING btree (run_at, seq) WHERE (status = 'queued'::text);

CREATE UNIQUE INDEX runs_one_running_per_lock_key ON public.runs USING btree (lock_key) WHERE ((status = 'running'::text) AND (lock_key IS NOT NULL));

CREATE INDEX runs_open ON public.runs USING btree (created_at DESC, id DESC) WHERE (status = ANY (ARRAY['pending_approval'::text, 'queued'::text, 'running'::text]));

CREATE INDEX runs_pending_expiry ON public.runs USING btree (expires_at) WHERE (status = 'pending_approval'::text);

CREATE INDEX runs_queued_head ON public.runs USING btree (lock_key, run_at, seq) WHERE ((status = 'queued'::text) AND (lock_key IS NOT NULL));

CREATE INDEX runs_recent ON public.runs USING btree (created_at DESC);

CREATE INDEX runs_running_by_worker ON public.runs USING btree (worker_id) WHERE (status = 'running'::text);

CREATE INDEX runs_running_lease ON public.runs USING btree (lease_expires_at) WHERE (status = 'running'::text);

CREATE INDEX runs_succeeded_by_runbook ON public.runs USING btree (runbook, finished_at DESC) WHERE (status = 'succeeded'::text);

CREATE INDEX schedule_occurrences_unread ON public.schedule_occurrences USING btree (run_id) WHERE ((run_id IS NOT NULL) AND (read_at IS NULL));

CREATE INDEX schedule_occurrences_unreported ON public.schedule_occurrences USING btree (created_at) WHERE ((skipped > 0) AND (skip_reported_at IS NULL));

CREATE INDEX schedule_occurrences_unstarted ON public.schedule_occurrences USING btree (claimed_at) WHERE (fired AND (run_id IS NULL) AND (read_at IS NULL));

CREATE INDEX schedules_due ON public.schedules USING btree (next_at) WHERE (status = 'active'::text);

CREATE INDEX slack_deliveries_created ON public.slack_deliveries USING btree (created_at);

CREATE INDEX slack_run_reporters_open ON public.slack_run_reporters USING btree (lease_until) WHERE (finished_at IS NULL);

CREATE INDEX watch_alerts_undelivered ON public.watch_alerts USING btree (id) WHERE (delivered_at IS NULL);

CREATE TRIGGER run_events_notify AFTER INSERT ON public.run_events FOR EACH ROW EXECUTE FUNCTION public.run_events_notify();

CREATE TRIGGER runs_guard_insert BEFORE INSERT ON public.runs FOR EACH ROW WHEN ((new.status <> ALL (ARRAY['pending_approval'::text, 'queued'::text]))) EXECUTE FUNCTION public.runs_guard_insert();

CREATE TRIGGER runs_guard_transition BEFORE UPDATE ON public.runs FOR EACH ROW EXECUTE FUNCTION public.runs_guard_transition();

CREATE TRIGGER runs_notify_cancel AFTER UPDATE OF cancel_requested_at ON public.runs FOR EACH ROW WHEN (((old.cancel_requested_at IS NULL) AND (new.cancel_requested_at IS NOT NULL) AND (new.status = 'running'::text))) EXECUTE FUNCTION public.runs_notify_cancel();

CREATE TRIGGER runs_notify_inserted AFTER INSERT ON public.runs REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.runs_notify_inserted();

CREATE TRIGGER runs_notify_lock_released AFTER UPDATE OF status ON public.runs FOR EACH ROW WHEN (((old.status = 'running'::text) AND (new.status <> 'running'::text) AND (new.lock_key IS NOT NULL))) EXECUTE FUNCTION public.runs_notify_lock_released();

CREATE TRIGGER runs_notify_requeued AFTER UPDATE OF status ON public.runs FOR EACH ROW WHEN (((new.status = 'queued'::text) AND (old.status IS DISTINCT FROM 'queued'::text))) EXECUTE FUNCTION public.runs_notify_requeued();

CREATE TRIGGER runs_require_approvals BEFORE UPDATE ON public.runs FOR EACH ROW WHEN (((old.status = 'pending_approval'::text) OR (new.requesters IS DISTINCT FROM old.requesters) OR (new.requested_by IS DISTINCT FROM old.requested_by) OR (new.superseded_by IS DISTINCT FROM old.superseded_by))) EXECUTE FUNCTION public.runs_require_approvals();

ALTER TABLE ONLY public.approvals
    ADD CONSTRAINT approvals_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.artifacts
    ADD CONSTRAINT artifacts_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.checklist_history
    ADD CONSTRAINT checklist_history_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.checklist_steps
    ADD CONSTRAINT checklist_steps_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.rollouts
    ADD CONSTRAINT rollouts_current_run_id_fkey FOREIGN KEY (current_run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.rollouts
    ADD CONSTRAINT rollouts_last_run_id_fkey FOREIGN KEY (last_run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.rollouts
    ADD CONSTRAINT rollouts_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.run_events
    ADD CONSTRAINT run_events_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_superseded_by_fkey FOREIGN KEY (superseded_by) REFERENCES public.runs(id);

ALTER TABLE ONLY public.schedule_occurrences
    ADD CONSTRAINT schedule_occurrences_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id);

ALTER TABLE ONLY public.schedule_occurrences
    ADD CONSTRAINT schedule_occurrences_schedule_id_fkey FOREIGN KEY (schedule_id) REFERENCES public.schedules(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.slack_run_reporters
    ADD CONSTRAINT slack_run_reporters_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.watch_alerts
    ADD CONSTRAINT watch_alerts_schedule_id_fkey FOREIGN KEY (schedule_id) REFERENCES public.schedules(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.watch_states
    ADD CONSTRAINT watch_states_schedule_id_fkey FOREIGN KEY (schedule_id) REFERENCES public.schedules(id) ON DELETE CASCADE;
