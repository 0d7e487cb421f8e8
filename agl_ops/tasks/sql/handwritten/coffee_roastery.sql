-- A small specialty coffee roaster's production and wholesale records, carried over
-- from an old desktop database (hence the abbreviated column names). Green coffee
-- arrives in lots, is roasted in batches, and the roasted coffee is sold in bags to
-- wholesale customers. Weights in kg, bag sizes in grams, money in USD; dates are
-- ISO text; flags are 0/1.

CREATE TABLE green_lots (
  lot_id INTEGER PRIMARY KEY,
  lot_cd TEXT NOT NULL UNIQUE,       -- e.g. ETH-2301 (origin + year + sequence)
  origin_ctry TEXT,
  farm_nm TEXT,                      -- NULL for blended co-op lots
  varietal TEXT,
  proc_mthd TEXT,                    -- washed | natural | honey | wet-hulled
  rcvd_dt TEXT,
  kg_rcvd REAL,
  cost_per_kg REAL,
  is_organic INTEGER
);

CREATE TABLE roast_batches (
  batch_id INTEGER PRIMARY KEY,
  lot_id INTEGER REFERENCES green_lots(lot_id),
  roast_dt TEXT,
  roaster_nm TEXT,                   -- who ran the machine
  roast_lvl TEXT,                    -- light | medium | dark
  green_kg REAL,                     -- green weight into the drum
  roasted_kg REAL,                   -- roasted weight out
  cup_score REAL                     -- SCA cupping score; NULL until cupped
);

CREATE TABLE custs (
  cust_id INTEGER PRIMARY KEY,
  cust_nm TEXT NOT NULL,
  cust_typ TEXT,                     -- cafe | grocer | office | online
  city TEXT,
  cntct_email TEXT,
  since_dt TEXT,
  is_actv INTEGER
);

CREATE TABLE ord_hdr (
  ord_id INTEGER PRIMARY KEY,
  cust_id INTEGER REFERENCES custs(cust_id),
  ord_dt TEXT,
  ship_dt TEXT,                      -- NULL until shipped
  ord_stat TEXT                      -- open | shipped | cancelled
);

CREATE TABLE ord_lines (
  line_id INTEGER PRIMARY KEY,
  ord_id INTEGER REFERENCES ord_hdr(ord_id),
  batch_id INTEGER REFERENCES roast_batches(batch_id),
  bag_g INTEGER,                     -- 250 | 340 | 1000 | 2270 (5 lb)
  qty INTEGER,                       -- number of bags
  unit_prc REAL                      -- price per bag
);

INSERT INTO green_lots VALUES
  (1, 'ETH-2301', 'Ethiopia', 'Worka Chelbesa', 'Heirloom', 'washed', '2023-02-14', 300, 7.80, 1),
  (2, 'ETH-2302', 'Ethiopia', 'Guji Hambela', 'Heirloom', 'natural', '2023-03-02', 240, 8.40, 0),
  (3, 'COL-2301', 'Colombia', 'Finca El Paraiso', 'Castillo', 'washed', '2023-04-18', 420, 6.20, 0),
  (4, 'COL-2302', 'Colombia', 'La Esperanza', 'Pink Bourbon', 'honey', '2023-06-09', 120, 11.50, 0),
  (5, 'BRA-2301', 'Brazil', 'Fazenda Santa Ines', 'Yellow Bourbon', 'natural', '2023-05-22', 600, 4.90, 0),
  (6, 'GUA-2301', 'Guatemala', 'Finca La Soledad', 'Caturra', 'washed', '2023-07-11', 360, 6.80, 1),
  (7, 'KEN-2301', 'Kenya', 'Gatomboya Factory', 'SL28', 'washed', '2023-08-30', 180, 9.60, 0),
  (8, 'CRI-2301', 'Costa Rica', 'Las Lajas', 'Catuai', 'honey', '2023-09-15', 150, 8.90, 1),
  (9, 'SUM-2301', 'Indonesia', NULL, 'Ateng', 'wet-hulled', '2023-10-05', 300, 5.70, 1),
  (10, 'ETH-2401', 'Ethiopia', 'Worka Chelbesa', 'Heirloom', 'washed', '2024-02-20', 330, 8.10, 1),
  (11, 'BRA-2401', 'Brazil', 'Fazenda Santa Ines', 'Yellow Bourbon', 'natural', '2024-04-03', 660, 5.10, 0),
  (12, 'PER-2401', 'Peru', 'Cooperativa Cenfrocafe', 'Typica', 'washed', '2024-05-17', 270, 6.40, 1),
  (13, 'PAN-2401', 'Panama', 'Hacienda La Esmeralda', 'Geisha', 'natural', '2024-06-28', 30, 48.00, 0);

INSERT INTO roast_batches VALUES
  (1, 1, '2023-02-20', 'Marta Ruiz', 'light', 24.0, 20.6, 87.5),
  (2, 1, '2023-03-06', 'Ben Okafor', 'light', 24.0, 20.4, 86.0),
  (3, 2, '2023-03-10', 'Marta Ruiz', 'light', 18.0, 15.3, 88.25),
  (4, 3, '2023-04-25', 'Ben Okafor', 'medium', 30.0, 25.2, 84.0),
  (5, 5, '2023-05-29', 'Lena Hoff', 'dark', 30.0, 24.3, 82.5),
  (6, 3, '2023-06-02', 'Lena Hoff', 'medium', 30.0, 25.0, 83.75),
  (7, 4, '2023-06-15', 'Marta Ruiz', 'light', 12.0, 10.2, 89.0),
  (8, 6, '2023-07-19', 'Ben Okafor', 'medium', 27.0, 22.7, 85.5),
  (9, 5, '2023-08-04', 'Lena Hoff', 'dark', 30.0, 24.1, 82.0),
  (10, 7, '2023-09-06', 'Marta Ruiz', 'light', 18.0, 15.4, 88.5),
  (11, 8, '2023-09-22', 'Ben Okafor', 'medium', 15.0, 12.7, 86.25),
  (12, 9, '2023-10-12', 'Lena Hoff', 'dark', 27.0, 21.9, 83.0),
  (13, 6, '2023-11-08', 'Lena Hoff', 'medium', 27.0, 22.6, NULL),
  (14, 5, '2023-12-01', 'Ben Okafor', 'dark', 30.0, 24.0, 81.5),
  (15, 10, '2024-02-27', 'Marta Ruiz', 'light', 24.0, 20.7, 87.75),
  (16, 11, '2024-04-10', 'Lena Hoff', 'dark', 36.0, 29.3, 82.25),
  (17, 12, '2024-05-24', 'Ben Okafor', 'medium', 27.0, 22.9, 84.5),
  (18, 10, '2024-06-05', 'Ben Okafor', 'light', 24.0, 20.5, NULL),
  (19, 11, '2024-06-20', 'Marta Ruiz', 'medium', 36.0, 30.4, 83.5),
  (20, 7, '2024-07-02', 'Lena Hoff', 'light', 18.0, 15.1, NULL);

INSERT INTO custs VALUES
  (1, 'Bean & Gone Cafe', 'cafe', 'Portland', 'orders@beangone.com', '2022-11-03', 1),
  (2, 'Northside Grocers', 'grocer', 'Portland', 'buying@northsidegrocers.com', '2023-01-15', 1),
  (3, 'Ledger Lane Offices', 'office', 'Seattle', 'facilities@ledgerlane.io', '2023-02-01', 1),
  (4, 'Little Crow Coffee', 'cafe', 'Tacoma', 'hello@littlecrow.coffee', '2023-03-20', 1),
  (5, 'The Daily Grind', 'cafe', 'Seattle', NULL, '2023-04-11', 0),
  (6, 'Harvest Co-op', 'grocer', 'Eugene', 'produce@harvestcoop.org', '2023-05-08', 1),
  (7, 'Pixel Works', 'office', 'Portland', 'admin@pixelworks.dev', '2023-07-22', 1),
  (8, 'Moss & Steam', 'cafe', 'Portland', 'moss.steam@gmail.com', '2023-08-14', 1),
  (9, 'Webshop Direct', 'online', NULL, 'shop@ourroastery.com', '2022-10-01', 1),
  (10, 'Riverbend Market', 'grocer', 'Salem', NULL, '2024-01-09', 1),
  (11, 'Cedar Street Bakery', 'cafe', 'Eugene', 'cedarstreetbakery@gmail.com', '2024-03-02', 0),
  (12, 'Summit Climbing Gym', 'office', 'Bend', 'frontdesk@summitclimb.com', '2024-05-30', 1);

INSERT INTO ord_hdr VALUES
  (1001, 1, '2023-03-08', '2023-03-09', 'shipped'),
  (1002, 2, '2023-03-15', '2023-03-17', 'shipped'),
  (1003, 3, '2023-04-02', '2023-04-03', 'shipped'),
  (1004, 1, '2023-06-05', '2023-06-06', 'shipped'),
  (1005, 4, '2023-06-20', '2023-06-21', 'shipped'),
  (1006, 5, '2023-07-01', NULL, 'cancelled'),
  (1007, 6, '2023-07-25', '2023-07-27', 'shipped'),
  (1008, 9, '2023-08-10', '2023-08-10', 'shipped'),
  (1009, 1, '2023-09-12', '2023-09-13', 'shipped'),
  (1010, 8, '2023-09-28', '2023-09-29', 'shipped'),
  (1011, 7, '2023-10-16', '2023-10-18', 'shipped'),
  (1012, 2, '2023-11-14', '2023-11-15', 'shipped'),
  (1013, 4, '2023-12-05', '2023-12-06', 'shipped'),
  (1014, 9, '2023-12-11', '2023-12-12', 'shipped'),
  (1015, 10, '2024-02-29', '2024-03-01', 'shipped'),
  (1016, 1, '2024-03-05', '2024-03-06', 'shipped'),
  (1017, 11, '2024-04-15', NULL, 'cancelled'),
  (1018, 6, '2024-04-22', '2024-04-24', 'shipped'),
  (1019, 8, '2024-06-10', NULL, 'open'),
  (1020, 3, '2024-07-03', NULL, 'open');

INSERT INTO ord_lines VALUES
  (1, 1001, 1, 2270, 2, 78.00),
  (2, 1001, 3, 340, 12, 16.50),
  (3, 1002, 2, 340, 24, 14.00),
  (4, 1003, 3, 1000, 3, 42.00),
  (5, 1004, 4, 2270, 3, 62.00),
  (6, 1004, 5, 2270, 2, 58.00),
  (7, 1005, 7, 250, 20, 19.00),
  (8, 1006, 6, 2270, 1, 62.00),
  (9, 1007, 8, 340, 30, 13.50),
  (10, 1008, 6, 340, 15, 17.00),
  (11, 1008, 7, 250, 10, 22.00),
  (12, 1009, 10, 2270, 2, 84.00),
  (13, 1009, 9, 2270, 2, 58.00),
  (14, 1010, 11, 1000, 4, 38.00),
  (15, 1011, 11, 1000, 2, 40.00),
  (16, 1012, 12, 340, 24, 13.00),
  (17, 1013, 13, 2270, 2, 64.00),
  (18, 1014, 12, 340, 20, 16.00),
  (19, 1014, 10, 250, 15, 20.00),
  (20, 1015, 14, 340, 18, 12.50),
  (21, 1016, 15, 2270, 3, 80.00),
  (22, 1017, 15, 340, 10, 15.50),
  (23, 1018, 16, 340, 36, 12.00),
  (24, 1019, 17, 2270, 2, 66.00),
  (25, 1020, 19, 1000, 5, 36.00);
