-- An engineering team's issue tracker, exported from a JSON API (hence camelCase
-- columns). Timestamps are ISO-8601 UTC text; `number` is the per-repository issue
-- number people quote (#53), `id` the global key.

CREATE TABLE repositories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  visibility TEXT,           -- public | private
  language TEXT,
  defaultBranch TEXT,
  isArchived BOOLEAN,
  createdAt DATETIME
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE,
  displayName TEXT,
  email TEXT,
  timezone TEXT,
  isAdmin BOOLEAN,
  joinedAt DATETIME
);

CREATE TABLE issues (
  id INTEGER PRIMARY KEY,
  repoId INTEGER NOT NULL REFERENCES repositories(id),
  number INTEGER NOT NULL,
  title TEXT NOT NULL,
  reporterId INTEGER REFERENCES users(id),
  assigneeId INTEGER REFERENCES users(id),
  state TEXT,                -- open | closed
  priority TEXT,             -- P0 (urgent) .. P3
  storyPoints INTEGER,
  createdAt DATETIME,
  closedAt DATETIME
);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  issueId INTEGER NOT NULL REFERENCES issues(id),
  authorId INTEGER REFERENCES users(id),
  body TEXT,
  createdAt DATETIME
);

CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  color TEXT
);

CREATE TABLE issue_labels (
  id INTEGER PRIMARY KEY,
  issueId INTEGER NOT NULL REFERENCES issues(id),
  labelId INTEGER NOT NULL REFERENCES labels(id)
);

INSERT INTO repositories VALUES
  (1, 'billing-api', 'private', 'Go', 'main', 0, '2021-02-10T09:00:00Z'),
  (2, 'web-frontend', 'private', 'TypeScript', 'main', 0, '2021-02-12T10:30:00Z'),
  (3, 'mobile-app', 'private', 'Kotlin', 'develop', 0, '2021-06-01T08:00:00Z'),
  (4, 'docs-site', 'public', 'JavaScript', 'main', 0, '2021-07-19T14:20:00Z'),
  (5, 'infra-terraform', 'private', 'HCL', 'main', 0, '2021-09-03T11:00:00Z'),
  (6, 'data-pipeline', 'private', 'Python', 'main', 0, '2022-01-24T09:45:00Z'),
  (7, 'design-system', 'public', 'TypeScript', 'main', 0, '2022-03-15T13:00:00Z'),
  (8, 'legacy-monolith', 'private', 'Ruby', 'master', 1, '2019-11-05T10:00:00Z'),
  (9, 'cli-tools', 'public', 'Rust', 'main', 0, '2022-06-30T16:10:00Z'),
  (10, 'auth-service', 'private', 'Go', 'main', 0, '2022-08-08T09:00:00Z'),
  (11, 'search-indexer', 'private', 'Python', 'main', 0, '2023-01-11T12:00:00Z'),
  (12, 'old-marketing-site', 'public', 'PHP', 'master', 1, '2018-04-02T09:00:00Z'),
  (13, 'ml-experiments', 'private', 'Python', 'main', 0, '2023-05-20T15:30:00Z'),
  (14, 'sdk-python', 'public', 'Python', 'main', 0, '2023-09-14T10:00:00Z'),
  (15, 'status-page', 'public', 'TypeScript', 'main', 0, '2024-02-01T08:00:00Z');

INSERT INTO users VALUES
  (1, 'akim', 'Alex Kim', 'alex.kim@acme.dev', 'America/Los_Angeles', 1, '2019-10-01T16:00:00Z'),
  (2, 'bnguyen', 'Bao Nguyen', 'bao@acme.dev', 'America/New_York', 0, '2020-01-15T14:00:00Z'),
  (3, 'cdupont', 'Camille Dupont', 'camille@acme.dev', 'Europe/Paris', 0, '2020-03-02T08:30:00Z'),
  (4, 'dpatel', 'Dev Patel', 'dev.patel@acme.dev', 'Asia/Kolkata', 1, '2020-06-20T05:00:00Z'),
  (5, 'eobi', 'Ese Obi', NULL, 'Africa/Lagos', 0, '2020-11-11T09:00:00Z'),
  (6, 'fgarcia', 'Fernanda Garcia', 'fernanda@acme.dev', 'America/Sao_Paulo', 0, '2021-02-08T12:00:00Z'),
  (7, 'gmueller', 'Greta Müller', 'greta@acme.dev', 'Europe/Berlin', 0, '2021-04-19T07:45:00Z'),
  (8, 'hsingh', 'Harpreet Singh', 'harpreet@acme.dev', 'Asia/Kolkata', 0, '2021-07-01T04:30:00Z'),
  (9, 'ijohansson', 'Ingrid Johansson', NULL, 'Europe/Stockholm', 0, '2021-09-13T08:00:00Z'),
  (10, 'jwalker', 'Jamal Walker', 'jamal@acme.dev', 'America/Chicago', 0, '2022-01-10T15:00:00Z'),
  (11, 'kyamamoto', 'Kenji Yamamoto', 'kenji@acme.dev', 'Asia/Tokyo', 0, '2022-04-04T01:00:00Z'),
  (12, 'lrossi', 'Lucia Rossi', 'lucia@acme.dev', 'Europe/Rome', 0, '2022-07-25T08:00:00Z'),
  (13, 'mchen', 'Mei Chen', 'mei.chen@acme.dev', 'America/Los_Angeles', 1, '2022-10-03T17:00:00Z'),
  (14, 'nkowalski', 'Nina Kowalski', NULL, 'Europe/Warsaw', 0, '2023-02-14T09:00:00Z'),
  (15, 'oadeyemi', 'Olu Adeyemi', 'olu@acme.dev', 'Africa/Lagos', 0, '2023-05-08T08:00:00Z'),
  (16, 'pmartin', 'Pierre Martin', 'pierre@acme.dev', 'Europe/Paris', 0, '2023-08-21T07:30:00Z'),
  (17, 'qzhang', 'Qing Zhang', 'qing@acme.dev', 'Asia/Shanghai', 0, '2024-01-09T02:00:00Z'),
  (18, 'rlopez', 'Rosa Lopez', 'rosa@acme.dev', 'America/Mexico_City', 0, '2024-04-15T15:00:00Z'),
  (19, 'release-bot', 'Release Bot', NULL, 'UTC', 0, '2021-01-01T00:00:00Z'),
  (20, 'tevans', 'Tara Evans', 'tara@acme.dev', 'America/New_York', 0, '2024-09-30T13:00:00Z');

INSERT INTO issues VALUES
  (1, 1, 101, 'Invoice totals off by one cent on EUR accounts', 3, 2, 'closed', 'P1', 3, '2024-01-08T10:15:00Z', '2024-01-12T16:40:00Z'),
  (2, 1, 102, 'Add idempotency keys to payment endpoint', 2, 2, 'closed', 'P2', 5, '2024-01-20T09:00:00Z', '2024-02-14T11:30:00Z'),
  (3, 1, 103, 'Webhook retries never give up', 10, 4, 'open', 'P1', 3, '2024-03-03T14:22:00Z', NULL),
  (4, 1, 104, 'Timeout when exporting large statements', 12, NULL, 'open', 'P2', NULL, '2024-05-17T08:45:00Z', NULL),
  (5, 1, 105, 'Tax rounding differs from finance report', 6, 2, 'closed', 'P0', 2, '2024-06-02T07:10:00Z', '2024-06-03T19:00:00Z'),
  (6, 2, 51, 'Login button misaligned on Safari', 7, 11, 'closed', 'P3', 1, '2024-01-15T12:00:00Z', '2024-01-16T09:20:00Z'),
  (7, 2, 52, 'Dark mode colors for charts', 16, 11, 'open', 'P3', 2, '2024-02-10T15:30:00Z', NULL),
  (8, 2, 53, 'Checkout page crashes when cart is empty', 5, 13, 'closed', 'P0', 3, '2024-03-21T18:05:00Z', '2024-03-22T02:45:00Z'),
  (9, 2, 54, 'Upgrade to React 19', 13, 6, 'open', 'P2', 8, '2024-07-01T09:00:00Z', NULL),
  (10, 2, 55, 'Search box loses focus after typing', 18, 11, 'closed', 'P2', 2, '2024-08-12T10:40:00Z', '2024-08-20T13:15:00Z'),
  (11, 2, 56, 'Localize date pickers', 3, NULL, 'open', NULL, NULL, '2024-10-05T11:11:00Z', NULL),
  (12, 3, 210, 'Push notifications delayed on Android 14', 8, 15, 'closed', 'P1', 5, '2024-02-05T06:30:00Z', '2024-02-19T10:00:00Z'),
  (13, 3, 211, 'App crashes on rotate in settings', 14, 15, 'closed', 'P0', 3, '2024-04-11T20:50:00Z', '2024-04-12T08:10:00Z'),
  (14, 3, 212, 'Offline mode for saved articles', 12, NULL, 'open', 'P3', 13, '2024-06-18T13:00:00Z', NULL),
  (15, 3, 213, 'Biometric login fails after OS update', 17, 15, 'open', 'P1', 5, '2024-11-02T09:25:00Z', NULL),
  (16, 4, 7, 'Broken link in quickstart guide', 20, 9, 'closed', 'P3', 1, '2024-10-14T16:00:00Z', '2024-10-14T17:30:00Z'),
  (17, 4, 8, 'Document rate limits', 10, 9, 'open', 'P2', 2, '2024-12-01T10:00:00Z', NULL),
  (18, 5, 31, 'Rotate staging database credentials', 4, 1, 'closed', 'P1', 2, '2024-01-30T08:00:00Z', '2024-02-01T12:00:00Z'),
  (19, 5, 32, 'Terraform plan drifts on load balancer', 1, 4, 'open', 'P2', 3, '2024-05-09T11:45:00Z', NULL),
  (20, 5, 33, 'Enable deletion protection on prod buckets', 4, 1, 'closed', 'P0', 1, '2024-09-17T07:20:00Z', '2024-09-17T09:05:00Z'),
  (21, 6, 12, 'Nightly job fails on daylight saving switch', 9, 8, 'closed', 'P1', 3, '2024-03-11T05:00:00Z', '2024-03-15T14:00:00Z'),
  (22, 6, 13, 'Deduplicate customer events', 8, 8, 'open', 'P2', 8, '2024-04-22T10:30:00Z', NULL),
  (23, 6, 14, 'Backfill 2023 order history', 6, 3, 'closed', 'P2', 5, '2024-06-25T09:15:00Z', '2024-07-30T17:45:00Z'),
  (24, 6, 15, 'Parquet writer leaks memory', 3, 8, 'open', 'P1', 5, '2024-10-28T13:40:00Z', NULL),
  (25, 7, 40, 'Button component ignores disabled prop', 2, 7, 'closed', 'P2', 1, '2024-02-27T14:10:00Z', '2024-03-01T10:00:00Z'),
  (26, 7, 41, 'Add Tooltip component', 16, 7, 'open', 'P3', 3, '2024-05-30T09:50:00Z', NULL),
  (27, 7, 42, 'Focus ring not visible for keyboard users', 18, 7, 'closed', 'P1', 2, '2024-09-03T11:00:00Z', '2024-09-10T15:20:00Z'),
  (28, 8, 980, 'Ruby 2.7 end of life', 1, NULL, 'closed', 'P2', NULL, '2023-04-01T10:00:00Z', '2023-06-30T18:00:00Z'),
  (29, 8, 981, 'Memory bloat in report workers', 5, 12, 'closed', 'P1', 8, '2023-08-14T08:20:00Z', '2023-09-02T11:00:00Z'),
  (30, 9, 3, 'Support --json output flag', 11, 12, 'closed', 'P2', 3, '2024-03-19T16:30:00Z', '2024-04-02T10:10:00Z'),
  (31, 9, 4, 'Shell completion for zsh', 20, NULL, 'open', 'P3', 2, '2024-11-25T19:00:00Z', NULL),
  (32, 9, 5, 'Panic on empty config file', 14, 12, 'closed', 'P1', 1, '2025-01-06T09:45:00Z', '2025-01-07T12:00:00Z'),
  (33, 10, 60, 'Refresh tokens not revoked on password change', 4, 10, 'closed', 'P0', 3, '2024-02-14T22:10:00Z', '2024-02-15T06:30:00Z'),
  (34, 10, 61, 'Add WebAuthn support', 13, 10, 'open', 'P2', 13, '2024-06-06T10:00:00Z', NULL),
  (35, 10, 62, 'Rate limit login attempts per IP', 1, 14, 'closed', 'P1', 5, '2024-08-19T13:25:00Z', '2024-08-28T16:00:00Z'),
  (36, 10, 63, 'SAML metadata endpoint returns 500', 15, 10, 'open', 'P0', 3, '2025-02-03T07:55:00Z', NULL),
  (37, 11, 20, 'Reindex takes 6 hours', 6, 3, 'open', 'P2', 8, '2024-04-02T12:00:00Z', NULL),
  (38, 11, 21, 'Synonyms not applied to phrase queries', 12, 12, 'closed', 'P2', 3, '2024-07-15T09:30:00Z', '2024-07-26T14:45:00Z'),
  (39, 11, 22, 'Highlighting breaks on emoji', 17, NULL, 'open', 'P3', 2, '2024-12-12T15:15:00Z', NULL),
  (40, 13, 5, 'Track experiment configs in MLflow', 9, 9, 'closed', 'P3', 2, '2024-05-05T10:20:00Z', '2024-05-20T11:00:00Z'),
  (41, 13, 6, 'GPU jobs stuck in pending', 11, NULL, 'open', 'P1', NULL, '2025-01-21T08:00:00Z', NULL),
  (42, 14, 10, 'Type hints for client methods', 16, 17, 'closed', 'P2', 3, '2024-03-28T11:00:00Z', '2024-04-10T09:30:00Z'),
  (43, 14, 11, 'Retry on 429 responses', 15, 17, 'closed', 'P1', 2, '2024-08-01T14:45:00Z', '2024-08-05T10:15:00Z'),
  (44, 14, 12, 'Drop Python 3.8 support', 17, 17, 'open', 'P3', 1, '2024-10-21T09:00:00Z', NULL),
  (45, 14, 13, 'Async client', 20, NULL, 'open', 'P2', 8, '2025-02-11T16:20:00Z', NULL),
  (46, 1, 106, 'Currency conversion uses stale rates', 9, 4, 'open', 'P1', 3, '2025-02-18T10:05:00Z', NULL),
  (47, 2, 57, 'Add keyboard shortcuts to editor', 10, 6, 'closed', 'P3', 3, '2025-01-14T13:30:00Z', '2025-02-04T09:00:00Z'),
  (48, 10, 64, 'Session cookie missing SameSite attribute', 8, 14, 'closed', 'P1', 1, '2025-01-28T12:40:00Z', '2025-01-29T15:00:00Z'),
  (49, 6, 16, 'Schema registry migration', 1, 3, 'open', 'P2', 5, '2025-02-20T09:30:00Z', NULL),
  (50, 3, 214, 'Crash reporting missing on iOS 18', 14, NULL, 'open', 'P0', NULL, '2025-02-25T18:00:00Z', NULL);

INSERT INTO comments VALUES
  (1, 1, 2, 'Reproduced with account 4471, looks like a float rounding issue.', '2024-01-08T13:02:00Z'),
  (2, 1, 3, 'Thanks! Finance confirmed the expected totals.', '2024-01-09T08:15:00Z'),
  (3, 1, 2, 'Fix is in PR #388, switching to decimal arithmetic.', '2024-01-11T17:20:00Z'),
  (4, 3, 4, 'We should cap retries at 10 with exponential backoff.', '2024-03-04T09:00:00Z'),
  (5, 3, 10, 'Agreed, we also need a dead letter queue.', '2024-03-04T11:30:00Z'),
  (6, 3, 1, 'Bumping, this paged on-call twice last week.', '2024-09-12T06:45:00Z'),
  (7, 5, 2, 'Hotfix deployed.', '2024-06-03T18:55:00Z'),
  (8, 5, 19, 'Released in v2.14.1', '2024-06-03T19:05:00Z'),
  (9, 8, 13, 'Null check missing in CartSummary.', '2024-03-21T19:30:00Z'),
  (10, 8, 19, 'Released in web v5.2.3', '2024-03-22T03:00:00Z'),
  (11, 9, 6, 'Blocked on the charting library supporting React 19.', '2024-07-15T10:10:00Z'),
  (12, 9, 13, 'The library released a beta, let us try it.', '2024-11-20T14:00:00Z'),
  (13, 12, 15, 'Caused by the new battery optimisation rules.', '2024-02-08T09:40:00Z'),
  (14, 13, 15, 'Fixed by saving state in onSaveInstanceState.', '2024-04-12T07:50:00Z'),
  (15, 13, 19, 'Released in app 3.8.2', '2024-04-12T09:00:00Z'),
  (16, 15, 17, 'Happens on Pixel 8 only so far.', '2024-11-03T10:00:00Z'),
  (17, 15, 15, 'Can reproduce on Samsung S23 too.', '2024-11-05T16:20:00Z'),
  (18, 15, 8, 'Might be related to the keystore changes in Android 14.', '2024-11-06T08:30:00Z'),
  (19, 15, 17, 'Any update? Customers are complaining.', '2025-01-10T12:00:00Z'),
  (20, 18, 1, 'Done, new secrets are in the vault.', '2024-02-01T11:50:00Z'),
  (21, 19, 4, 'Drift comes from manual edits in the AWS console.', '2024-05-10T10:00:00Z'),
  (22, 21, 8, 'Using UTC everywhere fixes it.', '2024-03-14T13:00:00Z'),
  (23, 22, 6, 'Events from the mobile SDK are sent twice.', '2024-04-25T15:10:00Z'),
  (24, 22, 8, 'Adding a dedup key on event_id.', '2024-05-02T09:00:00Z'),
  (25, 24, 3, 'Heap grows by 2 GB per hour.', '2024-10-28T14:30:00Z'),
  (26, 24, 8, 'Switching to streaming writes.', '2024-11-04T10:45:00Z'),
  (27, 27, 7, 'Outline restored, contrast checked with axe.', '2024-09-09T16:00:00Z'),
  (28, 29, 12, 'Upgraded the PDF gem, memory is stable now.', '2023-09-01T17:00:00Z'),
  (29, 30, 12, 'Implemented in v0.4.0.', '2024-04-02T10:00:00Z'),
  (30, 33, 10, 'Critical, fixing tonight.', '2024-02-14T22:40:00Z'),
  (31, 33, 4, 'Verified the fix in staging.', '2024-02-15T06:00:00Z'),
  (32, 33, 19, 'Released in auth v1.9.4', '2024-02-15T06:35:00Z'),
  (33, 34, 10, 'Spec draft is in the wiki.', '2024-06-20T11:00:00Z'),
  (34, 36, 10, 'Looking into it now.', '2025-02-03T08:30:00Z'),
  (35, 36, 15, 'Still failing for the Okta tenant.', '2025-02-05T09:10:00Z'),
  (36, 37, 3, 'Most time is spent in the tokenizer stage.', '2024-04-10T12:30:00Z'),
  (37, 41, 9, 'Scheduler quota was exhausted.', '2025-01-21T09:15:00Z'),
  (38, 41, 11, 'Quota raised, but jobs are still pending.', '2025-01-22T10:00:00Z'),
  (39, 43, 17, 'Added backoff with jitter.', '2024-08-04T15:30:00Z'),
  (40, 45, 16, 'Would love this for our FastAPI service.', '2025-02-12T09:00:00Z'),
  (41, 45, 20, '+1', '2025-02-13T14:25:00Z'),
  (42, 46, 4, 'The rates cache TTL is 7 days instead of 1.', '2025-02-18T15:40:00Z'),
  (43, 48, 14, 'Set SameSite=Lax on all session cookies.', '2025-01-29T14:30:00Z'),
  (44, 50, 14, 'Crashlytics SDK is not initialised in the new build.', '2025-02-25T19:10:00Z'),
  (45, 10, 11, 'Focus is stolen by the suggestions dropdown.', '2024-08-14T09:00:00Z'),
  (46, 2, 2, 'Keys are stored for 24 hours.', '2024-02-10T10:00:00Z'),
  (47, 15, 1, 'Escalating to P0 if not fixed this sprint.', '2025-01-12T09:30:00Z');

INSERT INTO labels VALUES
  (1, 'bug', '#d73a4a'),
  (2, 'enhancement', '#a2eeef'),
  (3, 'documentation', '#0075ca'),
  (4, 'security', '#b60205'),
  (5, 'performance', '#fbca04'),
  (6, 'good first issue', '#7057ff'),
  (7, 'regression', '#e99695'),
  (8, 'ui', '#c5def5'),
  (9, 'mobile', '#bfd4f2'),
  (10, 'infra', '#0e8a16'),
  (11, 'tech-debt', '#f9d0c4'),
  (12, 'needs-triage', '#ededed'),
  (13, 'wontfix', '#ffffff'),
  (14, 'accessibility', '#5319e7'),
  (15, 'data', '#1d76db');

INSERT INTO issue_labels (issueId, labelId) VALUES
  (1, 1), (2, 2), (3, 1), (4, 1), (5, 1), (5, 7), (6, 1), (7, 2), (7, 8), (8, 1),
  (9, 11), (10, 1), (11, 2), (12, 1), (13, 1), (13, 7), (14, 2), (15, 1), (15, 9), (15, 4),
  (16, 3), (17, 3), (18, 4), (19, 10), (20, 4), (20, 10), (21, 1), (22, 15), (23, 15), (24, 1),
  (25, 1), (26, 2), (27, 14), (27, 8), (28, 11), (29, 5), (30, 6), (31, 2), (32, 1), (33, 4),
  (33, 1), (34, 2), (35, 4), (36, 1), (37, 5), (38, 1), (39, 1), (40, 2), (41, 12), (42, 2),
  (42, 6), (43, 2), (45, 2), (46, 1), (47, 2), (48, 4), (49, 11), (50, 1), (50, 9), (50, 12);
