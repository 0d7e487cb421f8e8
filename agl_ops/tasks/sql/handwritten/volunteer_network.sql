-- A city-wide volunteer matching network: partner nonprofits post opportunities
-- (ongoing roles or one-off events), volunteers sign up for them, and each charity's
-- coordinator logs and approves the hours people actually worked. Dates are ISO
-- text; booleans are 0/1.

CREATE TABLE organizations (
  org_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  cause_area TEXT,                  -- food security | environment | education | animals | seniors | health
  neighborhood TEXT,
  contact_name TEXT,                -- volunteer coordinator
  joined_network_on TEXT,
  is_verified INTEGER
);

CREATE TABLE volunteers (
  volunteer_id INTEGER PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  birth_year INTEGER,
  registered_on TEXT,
  background_check_passed INTEGER,  -- NULL while the check is pending
  referred_by INTEGER REFERENCES volunteers(volunteer_id)
);

CREATE TABLE opportunities (
  opportunity_id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES organizations(org_id),
  title TEXT NOT NULL,
  category TEXT,                    -- kitchen | driving | outdoor | tutoring | animals | events | companionship | admin
  starts_on TEXT,
  ends_on TEXT,                     -- NULL for ongoing roles
  slots INTEGER,                    -- how many volunteers are wanted
  min_age INTEGER,
  is_remote INTEGER
);

CREATE TABLE signups (
  signup_id INTEGER PRIMARY KEY,
  volunteer_id INTEGER NOT NULL REFERENCES volunteers(volunteer_id),
  opportunity_id INTEGER NOT NULL REFERENCES opportunities(opportunity_id),
  signed_up_on TEXT,
  status TEXT                       -- confirmed | waitlisted | withdrawn
);

CREATE TABLE hour_logs (
  log_id INTEGER PRIMARY KEY,
  volunteer_id INTEGER NOT NULL REFERENCES volunteers(volunteer_id),
  opportunity_id INTEGER NOT NULL REFERENCES opportunities(opportunity_id),
  shift_date TEXT,
  hours REAL,
  approved_by TEXT                  -- coordinator who signed off; NULL = not yet approved
);

INSERT INTO organizations VALUES
  (1, 'Eastside Food Bank', 'food security', 'Eastside', 'Dolores Kim', '2022-01-10', 1),
  (2, 'Green Canopy Project', 'environment', 'Riverside', 'Tom Alvarez', '2022-03-05', 1),
  (3, 'Read Together', 'education', 'Midtown', 'Priya Natarajan', '2022-06-18', 1),
  (4, 'Paws Rescue League', 'animals', 'Northgate', 'Sam Whitley', '2022-09-01', 1),
  (5, 'Silver Threads Senior Center', 'seniors', 'Midtown', 'Agnes Boyle', '2023-02-14', 1),
  (6, 'Harbor Free Clinic', 'health', 'Harbor', NULL, '2023-05-20', 0),
  (7, 'Community Fridge Collective', 'food security', 'Riverside', 'Jordan Reyes', '2023-11-02', 0),
  (8, 'Code for Kids', 'education', 'Eastside', 'Mei Chen', '2024-01-15', 1),
  (9, 'Riverside Trail Keepers', 'environment', 'Riverside', 'Ana Sousa', '2024-04-08', 1);

INSERT INTO volunteers VALUES
  (1, 'Maria', 'Lopez', 'maria.lopez@gmail.com', '555-0101', 1988, '2022-02-01', 1, NULL),
  (2, 'James', 'Carter', 'jcarter@outlook.com', '555-0102', 1975, '2022-02-15', 1, NULL),
  (3, 'Aisha', 'Bello', 'aisha.bello@gmail.com', NULL, 2001, '2022-04-10', 1, 1),
  (4, 'Daniel', 'Novak', 'dnovak@yahoo.com', '555-0104', 1969, '2022-07-22', 1, NULL),
  (5, 'Hannah', 'Schmidt', 'hannah.s@outlook.com', '555-0105', 2006, '2022-10-03', NULL, 2),
  (6, 'Kevin', 'O''Brien', 'kobrien@gmail.com', '555-0106', 1992, '2023-01-12', 1, NULL),
  (7, 'Lucia', 'Ferreira', 'lucia.ferreira@proton.me', NULL, 1984, '2023-03-08', 1, 1),
  (8, 'Omar', 'Haddad', 'omar.haddad@gmail.com', '555-0108', 1999, '2023-04-19', 0, NULL),
  (9, 'Grace', 'Wu', 'gracewu58@yahoo.com', '555-0109', 1958, '2023-06-30', 1, 4),
  (10, 'Tyler', 'Brooks', NULL, '555-0110', 2007, '2023-09-14', NULL, 5),
  (11, 'Nina', 'Petrova', 'nina.petrova@gmail.com', '555-0111', 1995, '2023-11-20', 1, 3),
  (12, 'Samuel', 'Osei', 'sosei@outlook.com', '555-0112', 1981, '2024-01-08', 1, NULL),
  (13, 'Emily', 'Tran', 'emily.tran@gmail.com', NULL, 2003, '2024-02-27', 1, 11),
  (14, 'Robert', 'King', 'rking1950@yahoo.com', '555-0114', 1950, '2024-05-05', 1, 9),
  (15, 'Chloe', 'Martin', 'chloe.martin@proton.me', '555-0115', 1997, '2024-07-16', NULL, NULL),
  (16, 'Marcus', 'Lee', 'marcus.lee@gmail.com', '555-0116', 1990, '2024-08-02', 1, 12);

INSERT INTO opportunities VALUES
  (1, 1, 'Saturday Food Sorting', 'kitchen', '2022-02-05', NULL, 12, 14, 0),
  (2, 1, 'Holiday Meal Delivery', 'driving', '2023-12-18', '2023-12-24', 8, 21, 0),
  (3, 2, 'Spring Tree Planting', 'outdoor', '2023-04-01', '2023-04-30', 25, 12, 0),
  (4, 2, 'Urban Canopy Survey', 'outdoor', '2024-06-01', '2024-08-31', 10, 16, 0),
  (5, 3, 'After-School Reading Buddy', 'tutoring', '2022-09-06', NULL, 15, 16, 0),
  (6, 3, 'Online Homework Help', 'tutoring', '2023-01-09', NULL, 10, 18, 1),
  (7, 4, 'Dog Walking Crew', 'animals', '2022-09-10', NULL, 20, 16, 0),
  (8, 4, 'Adoption Day Helper', 'events', '2024-03-16', '2024-03-16', 6, 16, 0),
  (9, 5, 'Friendly Phone Calls', 'companionship', '2023-03-01', NULL, 12, 18, 1),
  (10, 5, 'Tech Help for Seniors', 'tutoring', '2023-09-05', NULL, 6, 16, 0),
  (11, 6, 'Clinic Front Desk', 'admin', '2023-06-01', NULL, 4, 18, 0),
  (12, 7, 'Fridge Restocking Run', 'driving', '2024-01-06', NULL, 8, 18, 0),
  (13, 8, 'Intro to Python Mentor', 'tutoring', '2024-02-10', '2024-06-15', 5, 18, 1),
  (14, 2, 'River Cleanup Day', 'outdoor', '2024-09-21', '2024-09-21', 30, 12, 0);

INSERT INTO signups VALUES
  (1, 1, 1, '2022-02-02', 'confirmed'),
  (2, 2, 1, '2022-02-20', 'confirmed'),
  (3, 3, 5, '2022-09-01', 'confirmed'),
  (4, 4, 7, '2022-09-05', 'confirmed'),
  (5, 5, 7, '2022-10-10', 'confirmed'),
  (6, 6, 6, '2023-01-20', 'confirmed'),
  (7, 1, 3, '2023-03-15', 'confirmed'),
  (8, 7, 3, '2023-03-20', 'confirmed'),
  (9, 8, 11, '2023-05-28', 'withdrawn'),
  (10, 9, 9, '2023-07-05', 'confirmed'),
  (11, 10, 7, '2023-09-20', 'confirmed'),
  (12, 2, 2, '2023-12-01', 'confirmed'),
  (13, 11, 10, '2023-12-01', 'confirmed'),
  (14, 4, 2, '2023-12-03', 'confirmed'),
  (15, 6, 12, '2024-01-10', 'confirmed'),
  (16, 12, 13, '2024-01-20', 'confirmed'),
  (17, 13, 13, '2024-03-01', 'waitlisted'),
  (18, 11, 8, '2024-03-01', 'confirmed'),
  (19, 14, 9, '2024-05-12', 'confirmed'),
  (20, 3, 4, '2024-05-20', 'confirmed'),
  (21, 15, 4, '2024-07-20', 'waitlisted'),
  (22, 16, 14, '2024-08-10', 'confirmed'),
  (23, 7, 14, '2024-08-15', 'confirmed');

INSERT INTO hour_logs VALUES
  (1, 1, 1, '2022-02-12', 3.0, 'Dolores Kim'),
  (2, 2, 1, '2022-03-05', 3.0, 'Dolores Kim'),
  (3, 3, 5, '2022-09-14', 1.5, 'Priya Natarajan'),
  (4, 4, 7, '2022-09-17', 2.0, 'Sam Whitley'),
  (5, 5, 7, '2022-10-15', 2.0, 'Sam Whitley'),
  (6, 6, 6, '2023-01-24', 2.0, 'Priya Natarajan'),
  (7, 1, 3, '2023-04-08', 5.0, 'Tom Alvarez'),
  (8, 7, 3, '2023-04-08', 5.0, 'Tom Alvarez'),
  (9, 1, 1, '2023-06-10', 3.5, 'Dolores Kim'),
  (10, 9, 9, '2023-07-12', 1.0, 'Agnes Boyle'),
  (11, 10, 7, '2023-09-23', 2.0, NULL),
  (12, 11, 10, '2023-12-06', 2.5, 'Agnes Boyle'),
  (13, 2, 2, '2023-12-20', 4.0, 'Dolores Kim'),
  (14, 4, 2, '2023-12-22', 6.0, 'Dolores Kim'),
  (15, 6, 12, '2024-01-13', 2.5, NULL),
  (16, 3, 5, '2024-01-17', 1.5, 'Priya Natarajan'),
  (17, 5, 7, '2024-02-10', 2.0, 'Sam Whitley'),
  (18, 12, 13, '2024-02-17', 2.0, 'Mei Chen'),
  (19, 12, 13, '2024-03-16', 2.0, 'Mei Chen'),
  (20, 11, 8, '2024-03-16', 4.0, 'Sam Whitley'),
  (21, 9, 9, '2024-04-03', 1.0, 'Agnes Boyle'),
  (22, 14, 9, '2024-05-20', 1.5, NULL),
  (23, 1, 1, '2024-06-08', 3.0, 'Dolores Kim'),
  (24, 3, 4, '2024-06-15', 4.0, 'Tom Alvarez'),
  (25, 4, 7, '2024-07-06', 2.0, NULL);
