-- An agricultural research station's greenhouse monitoring system: the greenhouses
-- and their crops, the sensors mounted in them with each sensor's acceptable range,
-- periodic readings, the alerts raised when something goes wrong, and maintenance
-- visits. Timestamps are UTC ISO text; temperature in degrees C, humidity and soil
-- moisture in percent, CO2 in ppm, light in umol/m2/s. Flags are 0/1.

CREATE TABLE greenhouses (
  gh_id INTEGER PRIMARY KEY,
  gh_name TEXT NOT NULL,
  crop TEXT,                   -- NULL while a house is empty
  area_m2 REAL,
  glazing TEXT,                -- glass | polycarbonate | poly film
  heated INTEGER,
  commissioned DATE
);

CREATE TABLE sensors (
  sensor_id INTEGER PRIMARY KEY,
  gh_id INTEGER NOT NULL REFERENCES greenhouses(gh_id),
  kind TEXT,                   -- temp | humidity | soil_moisture | co2 | light
  model TEXT,
  bay TEXT,                    -- position inside the house, e.g. B2
  installed DATE,
  online INTEGER,
  min_ok REAL,                 -- acceptable range for this sensor's readings
  max_ok REAL
);

CREATE TABLE readings (
  reading_id INTEGER PRIMARY KEY,
  sensor_id INTEGER NOT NULL REFERENCES sensors(sensor_id),
  ts TEXT,
  val REAL,
  battery_pct INTEGER          -- NULL for wired sensors
);

CREATE TABLE alerts (
  alert_id INTEGER PRIMARY KEY,
  sensor_id INTEGER NOT NULL REFERENCES sensors(sensor_id),
  raised_at TEXT,
  severity TEXT,               -- info | warning | critical
  msg TEXT,
  ack_by TEXT,                 -- staff member who acknowledged it; NULL if nobody has
  cleared_at TEXT              -- NULL while the condition is still active
);

CREATE TABLE maintenance (
  visit_id INTEGER PRIMARY KEY,
  sensor_id INTEGER REFERENCES sensors(sensor_id),
  visit_date DATE,
  tech TEXT,                   -- technician or contractor
  action TEXT,                 -- calibrated | battery swap | cleaned | replaced
  cost REAL
);

INSERT INTO greenhouses VALUES
  (1, 'North House', 'tomatoes', 420.0, 'glass', 1, '2016-03-01'),
  (2, 'South House', 'cucumbers', 380.0, 'glass', 1, '2016-03-01'),
  (3, 'Propagation Tunnel', 'seedlings', 150.0, 'poly film', 1, '2019-09-15'),
  (4, 'Orchid Room', 'orchids', 90.0, 'glass', 1, '2020-05-20'),
  (5, 'Lettuce Hoop', 'lettuce', 210.0, 'poly film', 0, '2022-02-10'),
  (6, 'Trial Bay', NULL, 120.0, 'polycarbonate', 0, '2024-04-01'),
  (7, 'Herb House', 'basil', 160.0, 'polycarbonate', 1, '2021-07-12'),
  (8, 'Pepper House', 'peppers', 300.0, 'glass', 1, '2023-01-09');

INSERT INTO sensors VALUES
  (1, 1, 'temp', 'SHT45', 'B1', '2022-03-10', 1, 16, 30),
  (2, 1, 'humidity', 'SHT45', 'B1', '2022-03-10', 1, 60, 85),
  (3, 1, 'co2', 'SCD41', 'B2', '2022-03-10', 1, 400, 1200),
  (4, 2, 'temp', 'SHT45', 'A1', '2022-03-12', 1, 18, 32),
  (5, 2, 'humidity', 'SHT45', 'A1', '2022-03-12', 1, 70, 90),
  (6, 2, 'soil_moisture', 'Teros-12', 'A3', '2023-04-02', 0, 25, 45),
  (7, 3, 'temp', 'DS18B20', 'T1', '2021-10-01', 1, 20, 28),
  (8, 3, 'humidity', 'SHT31', 'T1', '2021-10-01', 1, 75, 95),
  (9, 4, 'temp', 'SHT45', 'O1', '2022-06-01', 1, 18, 29),
  (10, 4, 'humidity', 'SHT45', 'O1', '2022-06-01', 1, 55, 80),
  (11, 4, 'light', 'PAR-Q1', 'O2', '2023-02-14', 1, 100, 600),
  (12, 5, 'temp', 'DS18B20', 'H1', '2022-03-01', 1, 4, 24),
  (13, 5, 'soil_moisture', 'Teros-12', 'H2', '2022-03-01', 1, 30, 50),
  (14, 7, 'temp', 'SHT31', 'E1', '2021-08-01', 1, 18, 30),
  (15, 7, 'humidity', 'SHT31', 'E1', '2021-08-01', 0, 50, 75),
  (16, 8, 'temp', 'SHT45', 'P1', '2023-01-20', 1, 18, 32),
  (17, 8, 'co2', 'SCD41', 'P2', '2023-01-20', 1, 400, 1200),
  (18, 8, 'soil_moisture', 'Teros-12', 'P3', '2024-03-05', 1, 25, 45);

INSERT INTO readings VALUES
  (1, 1, '2024-07-15T06:00:00Z', 18.4, 88),
  (2, 1, '2024-07-15T12:00:00Z', 31.2, 88),
  (3, 1, '2024-07-15T18:00:00Z', 26.7, 87),
  (4, 2, '2024-07-15T06:00:00Z', 82.5, 91),
  (5, 2, '2024-07-15T12:00:00Z', 58.0, 91),
  (6, 3, '2024-07-15T12:00:00Z', 780, 64),
  (7, 3, '2024-07-15T18:00:00Z', 1310, 63),
  (8, 4, '2024-07-15T06:00:00Z', 19.8, 72),
  (9, 4, '2024-07-15T12:00:00Z', 29.5, 72),
  (10, 5, '2024-07-15T12:00:00Z', 84.1, 70),
  (11, 6, '2024-06-28T06:00:00Z', 22.0, NULL),
  (12, 7, '2024-07-15T06:00:00Z', 23.9, NULL),
  (13, 7, '2024-07-15T18:00:00Z', 24.6, NULL),
  (14, 8, '2024-07-15T06:00:00Z', 91.0, 66),
  (15, 9, '2024-07-15T12:00:00Z', 27.8, 15),
  (16, 10, '2024-07-15T12:00:00Z', 68.5, 14),
  (17, 11, '2024-07-15T12:00:00Z', 540, NULL),
  (18, 12, '2024-07-15T06:00:00Z', 11.2, NULL),
  (19, 12, '2024-07-15T12:00:00Z', 26.3, NULL),
  (20, 13, '2024-07-15T12:00:00Z', 36.4, NULL),
  (21, 14, '2024-07-15T12:00:00Z', 28.1, 9),
  (22, 16, '2024-07-15T12:00:00Z', 33.0, 80),
  (23, 16, '2024-07-16T06:00:00Z', 21.5, 79),
  (24, 17, '2024-07-16T06:00:00Z', 455, 77),
  (25, 18, '2024-07-16T06:00:00Z', 38.2, NULL);

INSERT INTO alerts VALUES
  (1, 1, '2024-07-15T12:00:05Z', 'warning', 'Temperature above 30 C', 'Ingrid Olsen', '2024-07-15T14:30:00Z'),
  (2, 2, '2024-07-15T12:00:07Z', 'warning', 'Humidity below 60%', 'Ingrid Olsen', '2024-07-15T15:10:00Z'),
  (3, 3, '2024-07-15T18:00:04Z', 'critical', 'CO2 above 1200 ppm', NULL, NULL),
  (4, 6, '2024-06-28T06:00:10Z', 'warning', 'Soil moisture below 25%', 'Pablo Reyes', '2024-06-28T09:00:00Z'),
  (5, 6, '2024-06-29T00:00:00Z', 'critical', 'Sensor offline', 'Pablo Reyes', NULL),
  (6, 9, '2024-07-15T12:00:02Z', 'info', 'Battery below 20%', NULL, NULL),
  (7, 10, '2024-07-15T12:00:03Z', 'info', 'Battery below 20%', 'Mina Park', NULL),
  (8, 12, '2024-07-15T12:00:06Z', 'warning', 'Temperature above 24 C', 'Pablo Reyes', '2024-07-15T13:45:00Z'),
  (9, 14, '2024-07-15T12:00:01Z', 'info', 'Battery below 20%', NULL, NULL),
  (10, 15, '2024-05-02T08:00:00Z', 'critical', 'Sensor offline', 'Mina Park', NULL),
  (11, 16, '2024-07-15T12:00:08Z', 'warning', 'Temperature above 32 C', 'Ingrid Olsen', '2024-07-15T17:20:00Z'),
  (12, 1, '2024-06-20T13:00:00Z', 'warning', 'Temperature above 30 C', 'Mina Park', '2024-06-20T16:00:00Z'),
  (13, 7, '2024-03-11T04:00:00Z', 'critical', 'Temperature below 20 C', 'Pablo Reyes', '2024-03-11T05:15:00Z'),
  (14, 8, '2024-04-02T10:00:00Z', 'warning', 'Humidity below 75%', 'Ingrid Olsen', '2024-04-02T11:30:00Z');

INSERT INTO maintenance VALUES
  (1, 1, '2023-03-10', 'Lars Berg', 'calibrated', 35.00),
  (2, 6, '2024-07-02', 'Lars Berg', 'cleaned', 25.00),
  (3, 3, '2023-09-18', 'Ana Costa', 'calibrated', 60.00),
  (4, 9, '2024-01-22', 'Ana Costa', 'battery swap', 12.50),
  (5, 10, '2024-01-22', 'Ana Costa', 'battery swap', 12.50),
  (6, 15, '2024-05-06', 'Lars Berg', 'cleaned', 25.00),
  (7, 7, '2024-03-12', 'Lars Berg', 'calibrated', 35.00),
  (8, 13, '2023-06-30', 'Ana Costa', 'cleaned', 25.00),
  (9, 17, '2024-02-14', 'Ana Costa', 'calibrated', 60.00),
  (10, 2, '2024-02-05', 'Lars Berg', 'battery swap', 12.50),
  (11, 12, '2022-11-15', 'Ana Costa', 'replaced', 48.00),
  (12, 14, '2023-12-01', 'Lars Berg', 'battery swap', 12.50),
  (13, 3, '2024-07-16', 'Greenline Services', 'calibrated', 90.00);
