-- A regional utility's billing system: customer accounts, price plans (tariffs),
-- installed meters and their readings, quarterly invoices and the payments against
-- them. Readings are cumulative register values; money is in GBP.

CREATE TABLE accounts (
  acct_no TEXT PRIMARY KEY,          -- e.g. AC-1001
  holder_name TEXT NOT NULL,
  svc_addr TEXT,                     -- service address
  town TEXT,
  acct_type TEXT,                    -- residential | commercial
  opened_on DATE,
  closed_on DATE,
  paperless BOOLEAN
);

CREATE TABLE tariffs (
  tariff_id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  utility TEXT,                      -- electricity | gas | water
  descr TEXT,
  unit_rate REAL,                    -- price per unit
  standing_chg REAL,                 -- daily standing charge
  uom TEXT,                          -- unit of measure: kWh | m3
  valid_from DATE,
  valid_to DATE
);

CREATE TABLE meters (
  meter_id INTEGER PRIMARY KEY,
  serial_no TEXT NOT NULL UNIQUE,
  acct_no TEXT REFERENCES accounts(acct_no),
  tariff_id INTEGER REFERENCES tariffs(tariff_id),
  installed_on DATE,
  is_smart BOOLEAN,
  location TEXT
);

CREATE TABLE meter_readings (
  reading_id INTEGER PRIMARY KEY,
  meter_id INTEGER REFERENCES meters(meter_id),
  read_date DATE,
  reading REAL,
  read_type TEXT                     -- actual | estimated | customer
);

CREATE TABLE invoices (
  invoice_id INTEGER PRIMARY KEY,
  acct_no TEXT REFERENCES accounts(acct_no),
  period_start DATE,
  period_end DATE,
  issued_on DATE,
  due_date DATE,
  amount_due REAL,
  status TEXT                        -- paid | partially_paid | unpaid | void
);

CREATE TABLE payments (
  payment_id INTEGER PRIMARY KEY,
  invoice_id INTEGER REFERENCES invoices(invoice_id),
  paid_on DATE,
  amount REAL,
  method TEXT
);

INSERT INTO accounts VALUES
  ('AC-1001', 'Margaret Hill', '14 Birch Lane', 'Ashford', 'residential', '2015-03-01', NULL, 1),
  ('AC-1002', 'Brightside Bakery Ltd', '2 Market Street', 'Ashford', 'commercial', '2016-07-15', NULL, 0),
  ('AC-1003', 'Samuel Osei', '88 Kingsway', 'Bramley', 'residential', '2017-01-20', NULL, 0),
  ('AC-1004', 'Ruth & Alan Price', '5 Mill Cottages', 'Bramley', 'residential', '2017-09-09', '2024-06-30', 0),
  ('AC-1005', 'Northgate Dental Practice', '40 Northgate', 'Ashford', 'commercial', '2018-02-12', NULL, 1),
  ('AC-1006', 'Chen Wei', 'Flat 3, 12 Quay Road', 'Coldbrook', 'residential', '2018-11-05', NULL, 1),
  ('AC-1007', 'Evergreen Garden Centre', 'Holloway Farm', 'Coldbrook', 'commercial', '2019-04-01', NULL, 0),
  ('AC-1008', 'Priya Raman', '7 Elm Grove', 'Ashford', 'residential', '2019-08-23', NULL, 1),
  ('AC-1009', 'Tom Gallagher', '19 Station Road', 'Bramley', 'residential', '2020-01-10', NULL, 0),
  ('AC-1010', 'The Crown Inn', '1 High Street', 'Dunmore', 'commercial', '2020-05-18', NULL, 0),
  ('AC-1011', 'Aisha Bello', '23 Larch Close', 'Dunmore', 'residential', '2021-02-02', NULL, 1),
  ('AC-1012', 'Kowalski Motors', 'Unit 4, Riverside Estate', 'Coldbrook', 'commercial', '2021-06-30', NULL, 1),
  ('AC-1013', 'Ioana Popescu', '61 Queens Drive', 'Ashford', 'residential', '2021-10-12', NULL, 0),
  ('AC-1014', 'Greenfield Primary School', 'School Lane', 'Dunmore', 'commercial', '2022-03-14', NULL, 1),
  ('AC-1015', 'Daniel Murphy', '9 Orchard Way', 'Bramley', 'residential', '2022-08-01', '2025-01-31', 1),
  ('AC-1016', 'Lena Novak', '30 Castle View', 'Coldbrook', 'residential', '2023-01-09', NULL, 0),
  ('AC-1017', 'Harbour Fish Bar', '3 Harbour Parade', 'Dunmore', 'commercial', '2023-05-22', NULL, 0),
  ('AC-1018', 'Oliver Grant', '17 Heath Road', 'Ashford', 'residential', '2023-11-30', NULL, 1),
  ('AC-1019', 'Fatou Diallo', '4 Poplar Mews', 'Bramley', 'residential', '2024-04-17', NULL, 1),
  ('AC-1020', 'Riverside Yoga Studio', 'Unit 9, Riverside Estate', 'Coldbrook', 'commercial', '2024-09-02', NULL, 0);

INSERT INTO tariffs VALUES
  (1, 'E-RES-STD', 'electricity', 'Standard variable (home)', 0.2450, 0.53, 'kWh', '2023-01-01', NULL),
  (2, 'E-RES-FIX24', 'electricity', 'Fixed 24 months (home)', 0.2290, 0.49, 'kWh', '2023-04-01', '2025-03-31'),
  (3, 'E-RES-EV', 'electricity', 'EV night saver (home)', 0.1850, 0.55, 'kWh', '2023-06-01', NULL),
  (4, 'E-RES-GREEN', 'electricity', '100% renewable (home)', 0.2620, 0.53, 'kWh', '2024-01-01', NULL),
  (5, 'E-COM-STD', 'electricity', 'Business standard', 0.2710, 0.95, 'kWh', '2023-01-01', NULL),
  (6, 'E-COM-DAY', 'electricity', 'Business day/night', 0.2580, 1.10, 'kWh', '2023-01-01', NULL),
  (7, 'G-RES-STD', 'gas', 'Gas standard variable (home)', 0.0650, 0.31, 'kWh', '2023-01-01', NULL),
  (8, 'G-RES-FIX12', 'gas', 'Gas fixed 12 months (home)', 0.0690, 0.29, 'kWh', '2024-01-01', '2024-12-31'),
  (9, 'G-COM-STD', 'gas', 'Business gas', 0.0710, 0.62, 'kWh', '2023-01-01', NULL),
  (10, 'W-RES-MET', 'water', 'Metered water (home)', 2.1400, 0.18, 'm3', '2023-04-01', NULL),
  (11, 'W-COM-MET', 'water', 'Metered water (business)', 2.3500, 0.42, 'm3', '2023-04-01', NULL),
  (12, 'W-RES-LOW', 'water', 'WaterSure low income', 1.6000, 0.10, 'm3', '2023-04-01', NULL),
  (13, 'E-RES-LEG', 'electricity', 'Legacy economy 7', 0.2100, 0.45, 'kWh', '2019-01-01', '2023-12-31'),
  (14, 'G-RES-LEG', 'gas', 'Legacy gas saver', 0.0580, 0.27, 'kWh', '2019-01-01', '2023-12-31'),
  (15, 'W-COM-LEG', 'water', 'Legacy business water', 1.9800, 0.35, 'm3', '2019-01-01', '2023-03-31');

INSERT INTO meters VALUES
  (1, 'E19-448201', 'AC-1001', 1, '2015-03-01', 1, 'hallway cupboard'),
  (2, 'G19-118830', 'AC-1001', 7, '2015-03-01', 1, 'kitchen'),
  (3, 'W20-009112', 'AC-1001', 10, '2019-05-20', 0, 'front garden'),
  (4, 'E18-772310', 'AC-1002', 6, '2016-07-15', 1, 'back office'),
  (5, 'G18-220045', 'AC-1002', 9, '2016-07-15', 0, 'cellar'),
  (6, 'W18-551002', 'AC-1002', 11, '2016-07-15', 0, NULL),
  (7, 'E20-310977', 'AC-1003', 2, '2017-01-20', 1, 'porch'),
  (8, 'W21-440118', 'AC-1003', 10, '2021-03-03', 0, NULL),
  (9, 'E17-902214', 'AC-1004', 13, '2017-09-09', 0, 'garage'),
  (10, 'E21-118402', 'AC-1005', 5, '2018-02-12', 1, 'plant room'),
  (11, 'W21-662090', 'AC-1005', 11, '2018-02-12', 1, 'plant room'),
  (12, 'E22-550913', 'AC-1006', 3, '2018-11-05', 1, 'meter cupboard, ground floor'),
  (13, 'E22-660117', 'AC-1007', 6, '2019-04-01', 1, 'greenhouse 2'),
  (14, 'W19-770021', 'AC-1007', 11, '2019-04-01', 0, 'yard'),
  (15, 'G19-880310', 'AC-1007', 9, '2019-04-01', 0, 'boiler house'),
  (16, 'E23-100442', 'AC-1008', 4, '2019-08-23', 1, 'utility room'),
  (17, 'G23-100443', 'AC-1008', 7, '2019-08-23', 1, 'utility room'),
  (18, 'E20-204455', 'AC-1009', 1, '2020-01-10', 0, 'hallway'),
  (19, 'E20-330871', 'AC-1010', 5, '2020-05-18', 1, 'cellar'),
  (20, 'G20-330872', 'AC-1010', 9, '2020-05-18', 1, 'cellar'),
  (21, 'W20-330873', 'AC-1010', 11, '2020-05-18', 0, 'pavement'),
  (22, 'E21-401266', 'AC-1011', 1, '2021-02-02', 1, NULL),
  (23, 'W21-401267', 'AC-1011', 12, '2021-02-02', 0, NULL),
  (24, 'E21-509938', 'AC-1012', 5, '2021-06-30', 1, 'workshop'),
  (25, 'E22-612004', 'AC-1013', 3, '2021-10-12', 1, 'garage'),
  (26, 'E22-700120', 'AC-1014', 6, '2022-03-14', 1, 'caretaker room'),
  (27, 'G22-700121', 'AC-1014', 9, '2022-03-14', 1, 'caretaker room'),
  (28, 'E22-810553', 'AC-1015', 2, '2022-08-01', 1, 'hallway'),
  (29, 'E23-905117', 'AC-1016', 4, '2023-01-09', 1, 'hallway'),
  (30, 'E23-955620', 'AC-1017', 5, '2023-05-22', 0, 'kitchen'),
  (31, 'G23-955621', 'AC-1017', 9, '2023-05-22', 0, 'kitchen'),
  (32, 'E24-012207', 'AC-1018', 1, '2023-11-30', 1, 'porch'),
  (33, 'E24-140389', 'AC-1019', 4, '2024-04-17', 1, NULL),
  (34, 'E24-290911', 'AC-1020', 5, '2024-09-02', 1, 'reception');

INSERT INTO meter_readings (meter_id, read_date, reading, read_type) VALUES
  (1, '2024-10-01', 18234.0, 'actual'), (1, '2025-01-02', 19102.5, 'actual'), (1, '2025-04-01', 19811.0, 'estimated'),
  (2, '2024-10-01', 40211.0, 'actual'), (2, '2025-01-02', 43890.0, 'actual'), (2, '2025-04-01', 46720.0, 'actual'),
  (3, '2024-10-01', 812.4, 'actual'), (3, '2025-04-01', 861.9, 'actual'),
  (4, '2024-10-03', 98120.0, 'actual'), (4, '2025-01-03', 102455.0, 'actual'), (4, '2025-04-02', 106310.0, 'actual'),
  (7, '2024-10-05', 22010.4, 'customer'), (7, '2025-01-06', 22890.0, 'estimated'), (7, '2025-04-04', 23620.7, 'customer'),
  (10, '2024-10-02', 55200.0, 'actual'), (10, '2025-01-02', 57980.0, 'actual'), (10, '2025-04-01', 60410.0, 'actual'),
  (11, '2024-10-02', 3320.0, 'actual'), (11, '2025-04-01', 3495.5, 'actual'),
  (12, '2024-10-04', 31005.0, 'actual'), (12, '2025-01-04', 32950.0, 'actual'), (12, '2025-04-03', 34560.0, 'estimated'),
  (13, '2024-10-01', 120400.0, 'actual'), (13, '2025-01-02', 126950.0, 'actual'), (13, '2025-04-01', 134100.0, 'actual'),
  (16, '2024-10-07', 9020.2, 'actual'), (16, '2025-01-07', 9688.0, 'actual'), (16, '2025-04-07', 10301.9, 'actual'),
  (17, '2024-10-07', 15220.0, 'actual'), (17, '2025-01-07', 18410.0, 'estimated'), (17, '2025-04-07', 20990.0, 'actual'),
  (19, '2024-10-02', 77300.0, 'actual'), (19, '2025-01-03', 81120.0, 'estimated'), (19, '2025-04-02', 84900.0, 'actual'),
  (22, '2024-10-10', 6120.0, 'customer'), (22, '2025-01-10', 6805.5, 'customer'), (22, '2025-04-10', 7400.0, 'customer'),
  (24, '2024-10-03', 43010.0, 'actual'), (24, '2025-01-03', 45880.0, 'actual'), (24, '2025-04-02', 48500.0, 'actual'),
  (26, '2024-10-01', 210300.0, 'actual'), (26, '2025-01-06', 219870.0, 'actual'), (26, '2025-04-01', 227450.0, 'actual'),
  (29, '2024-10-09', 4410.0, 'actual'), (29, '2025-01-09', 5102.3, 'estimated'), (29, '2025-04-09', 5680.1, 'actual'),
  (32, '2024-10-02', 1210.0, 'actual'), (32, '2025-01-02', 1995.6, 'actual'), (32, '2025-04-02', 2702.4, 'actual'),
  (34, '2024-10-01', 350.0, 'actual'), (34, '2025-01-02', 1640.0, 'actual'), (34, '2025-04-01', 2890.5, 'actual');

-- Quarterly bills: Q3 2024 issued 2024-10-08, Q4 2024 issued 2025-01-08, Q1 2025 issued
-- 2025-04-08; closed accounts get a final bill. Invoice 39 was voided and re-issued as 40.
INSERT INTO invoices VALUES
  (1, 'AC-1001', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 312.40, 'paid'),
  (2, 'AC-1002', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 1845.90, 'paid'),
  (3, 'AC-1003', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 201.75, 'paid'),
  (4, 'AC-1004', '2024-04-01', '2024-06-30', '2024-07-05', '2024-08-04', 158.20, 'paid'),
  (5, 'AC-1005', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 1120.00, 'paid'),
  (6, 'AC-1007', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 3390.15, 'paid'),
  (7, 'AC-1010', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 2210.60, 'paid'),
  (8, 'AC-1014', '2024-07-01', '2024-09-30', '2024-10-08', '2024-11-07', 4105.80, 'paid'),
  (9, 'AC-1001', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 410.85, 'paid'),
  (10, 'AC-1002', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 2102.30, 'paid'),
  (11, 'AC-1003', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 265.10, 'paid'),
  (12, 'AC-1005', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 1264.45, 'paid'),
  (13, 'AC-1006', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 598.70, 'paid'),
  (14, 'AC-1007', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 3875.00, 'partially_paid'),
  (15, 'AC-1008', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 455.30, 'paid'),
  (16, 'AC-1009', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 240.90, 'unpaid'),
  (17, 'AC-1010', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 2488.75, 'paid'),
  (18, 'AC-1011', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 228.40, 'paid'),
  (19, 'AC-1012', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 1490.20, 'paid'),
  (20, 'AC-1013', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 372.60, 'paid'),
  (21, 'AC-1014', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 4620.35, 'paid'),
  (22, 'AC-1015', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 212.00, 'paid'),
  (23, 'AC-1016', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 301.45, 'unpaid'),
  (24, 'AC-1017', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 1655.90, 'partially_paid'),
  (25, 'AC-1018', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 349.99, 'paid'),
  (26, 'AC-1019', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 289.50, 'paid'),
  (27, 'AC-1020', '2024-10-01', '2024-12-31', '2025-01-08', '2025-02-07', 702.80, 'paid'),
  (28, 'AC-1001', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 455.20, 'paid'),
  (29, 'AC-1002', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 1990.40, 'paid'),
  (30, 'AC-1003', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 251.35, 'unpaid'),
  (31, 'AC-1005', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 1198.00, 'paid'),
  (32, 'AC-1006', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 540.15, 'paid'),
  (33, 'AC-1007', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 3620.90, 'unpaid'),
  (34, 'AC-1008', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 430.75, 'paid'),
  (35, 'AC-1009', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 236.10, 'unpaid'),
  (36, 'AC-1010', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 2390.00, 'partially_paid'),
  (37, 'AC-1011', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 219.80, 'paid'),
  (38, 'AC-1012', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 1402.65, 'paid'),
  (39, 'AC-1013', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 360.00, 'void'),
  (40, 'AC-1013', '2025-01-01', '2025-03-31', '2025-04-10', '2025-05-10', 355.40, 'paid'),
  (41, 'AC-1014', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 4388.10, 'paid'),
  (42, 'AC-1015', '2025-01-01', '2025-01-31', '2025-02-10', '2025-03-12', 74.30, 'paid'),
  (43, 'AC-1016', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 298.60, 'unpaid'),
  (44, 'AC-1017', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 1580.25, 'unpaid'),
  (45, 'AC-1018', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 337.45, 'paid'),
  (46, 'AC-1019', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 276.90, 'paid'),
  (47, 'AC-1020', '2025-01-01', '2025-03-31', '2025-04-08', '2025-05-08', 865.30, 'paid');

INSERT INTO payments VALUES
  (1, 1, '2024-10-20', 312.40, 'direct_debit'),
  (2, 2, '2024-11-01', 1845.90, 'bank_transfer'),
  (3, 3, '2024-11-05', 201.75, 'card'),
  (4, 4, '2024-07-28', 158.20, 'cheque'),
  (5, 5, '2024-10-15', 1120.00, 'direct_debit'),
  (6, 6, '2024-11-06', 3390.15, 'bank_transfer'),
  (7, 7, '2024-10-30', 1000.00, 'card'),
  (8, 7, '2024-11-07', 1210.60, 'card'),
  (9, 8, '2024-10-25', 4105.80, 'bank_transfer'),
  (10, 9, '2025-01-20', 410.85, 'direct_debit'),
  (11, 10, '2025-02-03', 2102.30, 'bank_transfer'),
  (12, 11, '2025-02-06', 265.10, 'card'),
  (13, 12, '2025-01-17', 1264.45, 'direct_debit'),
  (14, 13, '2025-01-18', 598.70, 'direct_debit'),
  (15, 14, '2025-02-10', 2000.00, 'bank_transfer'),
  (16, 15, '2025-01-19', 455.30, 'direct_debit'),
  (17, 17, '2025-02-01', 2488.75, 'card'),
  (18, 18, '2025-01-21', 228.40, 'direct_debit'),
  (19, 19, '2025-01-25', 1490.20, 'direct_debit'),
  (20, 20, '2025-02-12', 372.60, 'cash'),
  (21, 21, '2025-02-05', 4620.35, 'bank_transfer'),
  (22, 22, '2025-01-30', 212.00, 'direct_debit'),
  (23, 24, '2025-02-07', 800.00, 'cash'),
  (24, 25, '2025-01-22', 349.99, 'direct_debit'),
  (25, 26, '2025-01-23', 289.50, 'direct_debit'),
  (26, 27, '2025-02-14', 702.80, 'card'),
  (27, 28, '2025-04-22', 455.20, 'direct_debit'),
  (28, 29, '2025-05-06', 1990.40, 'bank_transfer'),
  (29, 31, '2025-04-18', 1198.00, 'direct_debit'),
  (30, 32, '2025-04-19', 540.15, 'direct_debit'),
  (31, 34, '2025-04-20', 430.75, 'direct_debit'),
  (32, 36, '2025-05-02', 1500.00, 'bank_transfer'),
  (33, 37, '2025-04-21', 219.80, 'direct_debit'),
  (34, 38, '2025-04-25', 1402.65, 'direct_debit'),
  (35, 40, '2025-04-30', 355.40, 'card'),
  (36, 41, '2025-05-07', 4388.10, 'bank_transfer'),
  (37, 42, '2025-02-25', 74.30, 'cheque'),
  (38, 45, '2025-04-23', 337.45, 'direct_debit'),
  (39, 46, '2025-04-24', 276.90, 'direct_debit'),
  (40, 47, '2025-05-05', 500.00, 'card'),
  (41, 47, '2025-05-15', 365.30, 'card');
