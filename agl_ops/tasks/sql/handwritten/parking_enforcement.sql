-- A city's parking enforcement office, on a .NET back end (PascalCase names): metered
-- zones, the enforcement officers, vehicles seen on the street, the citations
-- (tickets) officers write and the appeals drivers file against them. Money in USD;
-- times are local time as ISO text; flags are 0/1.

CREATE TABLE Zones (
  ZoneId INTEGER PRIMARY KEY,
  ZoneCode TEXT NOT NULL UNIQUE,    -- e.g. DT-1
  ZoneName TEXT,
  District TEXT,
  HourlyRate REAL,                  -- meter price per hour; 0 where parking is free
  MaxStayMinutes INTEGER,           -- NULL = no time limit
  EnforcedSundays INTEGER
);

CREATE TABLE Officers (
  OfficerId INTEGER PRIMARY KEY,
  BadgeNumber TEXT NOT NULL UNIQUE,
  FullName TEXT NOT NULL,
  HireDate TEXT,
  Shift TEXT,                       -- day | evening | night
  IsActive INTEGER
);

CREATE TABLE PlateRegistry (
  VehicleId INTEGER PRIMARY KEY,
  PlateNumber TEXT NOT NULL,
  PlateState TEXT,                  -- two-letter state code
  Make TEXT,
  Color TEXT,
  HasResidentPermit INTEGER
);

CREATE TABLE Citations (
  CitationId INTEGER PRIMARY KEY,
  TicketNumber TEXT NOT NULL UNIQUE,
  VehicleId INTEGER REFERENCES PlateRegistry(VehicleId),
  OfficerId INTEGER REFERENCES Officers(OfficerId),
  ZoneId INTEGER REFERENCES Zones(ZoneId),
  IssuedAt TEXT,
  Violation TEXT,                   -- expired meter | overstay | no permit | hydrant | double parked | street cleaning
  FineAmount REAL,
  PaidOn TEXT,                      -- NULL while unpaid
  Status TEXT                       -- open | paid | dismissed | collections
);

CREATE TABLE Appeals (
  AppealId INTEGER PRIMARY KEY,
  CitationId INTEGER NOT NULL REFERENCES Citations(CitationId),
  FiledOn TEXT,
  Reason TEXT,
  Outcome TEXT,                     -- pending | upheld | reduced | dismissed
  DecidedOn TEXT,                   -- NULL while pending
  ReducedFine REAL                  -- new fine, only when Outcome = 'reduced'
);

INSERT INTO Zones VALUES
  (1, 'DT-1', 'Downtown Core', 'Central', 3.50, 120, 1),
  (2, 'DT-2', 'Civic Center', 'Central', 3.00, 120, 0),
  (3, 'MK-1', 'Market Street', 'Central', 2.50, 180, 1),
  (4, 'UN-1', 'University Row', 'North', 1.75, 240, 0),
  (5, 'HS-1', 'Hospital District', 'North', 2.00, 180, 1),
  (6, 'RS-1', 'Riverside Residential', 'East', 0.00, 120, 0),
  (7, 'WF-1', 'Waterfront', 'West', 4.00, 90, 1),
  (8, 'WF-2', 'Pier Lots', 'West', 2.25, NULL, 1),
  (9, 'OT-1', 'Old Town', 'East', 1.50, 120, 0),
  (10, 'AP-1', 'Airport Cell Lot', 'South', 0.00, 30, 1);

INSERT INTO Officers VALUES
  (1, 'PE-1021', 'Rosa Delgado', '2015-04-13', 'day', 1),
  (2, 'PE-1034', 'Mark Jensen', '2016-09-01', 'day', 1),
  (3, 'PE-1102', 'Tanya Brooks', '2018-02-19', 'evening', 1),
  (4, 'PE-1150', 'Victor Huang', '2019-06-03', 'day', 0),
  (5, 'PE-1188', 'Leila Haddad', '2020-11-16', 'evening', 1),
  (6, 'PE-1203', 'Owen Pratt', '2021-03-08', 'night', 1),
  (7, 'PE-1255', 'Grace Mbeki', '2022-08-22', 'day', 1),
  (8, 'PE-1290', 'Diego Santos', '2023-05-15', 'night', 1),
  (9, 'PE-1311', 'Hollis Reed', '2024-09-03', 'day', 1);

INSERT INTO PlateRegistry VALUES
  (1, '7KLM402', 'CA', 'Toyota', 'silver', 0),
  (2, '8ABX771', 'CA', 'Honda', 'black', 1),
  (3, 'BZR4420', 'NV', 'Ford', 'white', 0),
  (4, '6TRD019', 'CA', 'Tesla', 'red', 1),
  (5, '9PLQ338', 'CA', 'Subaru', 'blue', 0),
  (6, 'WXN8812', 'OR', 'Chevrolet', 'gray', 0),
  (7, '5JHK260', 'CA', 'Toyota', 'white', 0),
  (8, '4GGA903', 'CA', 'BMW', 'black', 0),
  (9, 'AZ71K2M', 'AZ', 'Nissan', 'silver', 0),
  (10, '7MNE554', 'CA', 'Honda', 'blue', 1),
  (11, '8CVB129', 'CA', 'Hyundai', 'red', 0),
  (12, 'LUV2SRF', 'CA', 'Volkswagen', 'green', 0),
  (13, '3FZX447', 'CA', 'Ford', 'black', 0),
  (14, 'TXB9931', 'TX', 'Jeep', 'gray', 0),
  (15, '6YUR880', 'CA', 'Kia', 'white', 1);

INSERT INTO Citations VALUES
  (1, 'T24-00001', 1, 1, 1, '2024-01-08 09:42', 'expired meter', 45.00, '2024-01-15', 'paid'),
  (2, 'T24-00002', 3, 2, 7, '2024-01-09 13:10', 'overstay', 55.00, NULL, 'collections'),
  (3, 'T24-00003', 5, 1, 1, '2024-01-12 11:05', 'expired meter', 45.00, '2024-01-20', 'paid'),
  (4, 'T24-00004', 8, 3, 3, '2024-01-19 18:30', 'double parked', 90.00, '2024-02-02', 'paid'),
  (5, 'T24-00005', 6, 5, 6, '2024-02-02 19:15', 'no permit', 70.00, NULL, 'dismissed'),
  (6, 'T24-00006', 1, 2, 2, '2024-02-06 10:20', 'expired meter', 45.00, '2024-02-10', 'paid'),
  (7, 'T24-00007', 9, 6, 5, '2024-02-14 02:40', 'hydrant', 110.00, NULL, 'open'),
  (8, 'T24-00008', 12, 7, 7, '2024-02-23 12:55', 'overstay', 55.00, '2024-03-01', 'paid'),
  (9, 'T24-00009', 11, 3, 3, '2024-03-01 17:45', 'expired meter', 45.00, NULL, 'open'),
  (10, 'T24-00010', 3, 4, 1, '2024-03-04 08:15', 'street cleaning', 65.00, NULL, 'collections'),
  (11, 'T24-00011', 14, 8, 8, '2024-03-09 23:20', 'hydrant', 110.00, '2024-04-20', 'paid'),
  (12, 'T24-00012', 7, 1, 4, '2024-03-15 14:00', 'overstay', 55.00, '2024-04-08', 'paid'),
  (13, 'T24-00013', 5, 7, 1, '2024-04-02 10:35', 'expired meter', 45.00, '2024-04-05', 'paid'),
  (14, 'T24-00014', 13, 5, 6, '2024-04-11 20:05', 'no permit', 70.00, NULL, 'open'),
  (15, 'T24-00015', 8, 2, 2, '2024-04-18 09:00', 'double parked', 90.00, NULL, 'dismissed'),
  (16, 'T24-00016', 4, 3, 9, '2024-05-06 18:10', 'street cleaning', 65.00, '2024-05-13', 'paid'),
  (17, 'T24-00017', 1, 7, 3, '2024-05-21 11:50', 'expired meter', 45.00, '2024-05-29', 'paid'),
  (18, 'T24-00018', 10, 6, 5, '2024-06-03 01:15', 'hydrant', 110.00, NULL, 'open'),
  (19, 'T24-00019', 3, 8, 7, '2024-06-15 22:30', 'overstay', 55.00, NULL, 'collections'),
  (20, 'T24-00020', 2, 1, 1, '2024-07-02 13:25', 'expired meter', 45.00, '2024-07-03', 'paid'),
  (21, 'T24-00021', 9, 5, 7, '2024-07-19 19:40', 'double parked', 90.00, NULL, 'open'),
  (22, 'T24-00022', 12, 2, 4, '2024-08-07 15:15', 'expired meter', 45.00, NULL, 'open'),
  (23, 'T24-00023', 6, 4, 8, '2024-08-25 10:05', 'overstay', 55.00, NULL, 'dismissed'),
  (24, 'T24-00024', 11, 7, 1, '2024-09-10 16:45', 'expired meter', 45.00, '2024-09-12', 'paid'),
  (25, 'T24-00025', 14, 3, 9, '2024-10-01 18:55', 'street cleaning', 65.00, NULL, 'open');

INSERT INTO Appeals VALUES
  (1, 5, '2024-02-09', 'Permit was displayed but fell off the dashboard', 'dismissed', '2024-03-01', NULL),
  (2, 4, '2024-01-25', 'Was loading a delivery', 'upheld', '2024-02-01', NULL),
  (3, 11, '2024-03-15', 'Hydrant was hidden by a snow bank', 'upheld', '2024-04-10', NULL),
  (4, 15, '2024-04-22', 'Hazard lights on, emergency pickup', 'dismissed', '2024-05-14', NULL),
  (5, 7, '2024-02-20', 'Car was reported stolen at the time', 'pending', NULL, NULL),
  (6, 12, '2024-03-18', 'Sign was unclear about the time limit', 'upheld', '2024-04-02', NULL),
  (7, 18, '2024-06-10', 'Curb was not painted red', 'pending', NULL, NULL),
  (8, 23, '2024-08-30', 'Parking app showed an active meter session', 'dismissed', '2024-09-20', NULL),
  (9, 21, '2024-07-25', 'Only stopped for two minutes', 'upheld', '2024-08-15', NULL),
  (10, 9, '2024-03-08', 'Meter was broken and would not take coins', 'reduced', '2024-03-28', 20.00),
  (11, 14, '2024-04-20', 'Visiting a resident with a guest pass', 'reduced', '2024-05-10', 35.00);
