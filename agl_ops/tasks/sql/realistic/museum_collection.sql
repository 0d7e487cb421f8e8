-- A mid-sized art museum's collections database: makers (artists, workshops,
-- potteries), gallery rooms, the objects (keyed by accession number, whose first
-- part is the year of acquisition), exhibitions and which objects each one showed.
-- Unknown makers and dates are NULL; objects in storage have no gallery.

CREATE TABLE makers (
  maker_id INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL,
  nationality TEXT,
  born INTEGER,              -- year
  died INTEGER               -- year; NULL if living or unknown
);

CREATE TABLE galleries (
  gallery_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  wing TEXT,
  floor INTEGER,
  climate_ctrl INTEGER       -- 0/1
);

CREATE TABLE collection_objects (
  accession_no TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  maker_id INTEGER REFERENCES makers(maker_id),
  obj_type TEXT,
  medium TEXT,
  year_made INTEGER,
  acquired_on TEXT,
  acq_method TEXT,           -- purchase | gift | bequest | transfer
  price_usd REAL,            -- purchases only
  gallery_id INTEGER REFERENCES galleries(gallery_id),
  height_cm REAL,
  width_cm REAL
);

CREATE TABLE exhibitions (
  exhibition_id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  start_date TEXT,
  end_date TEXT,
  curator TEXT,
  gallery_id INTEGER REFERENCES galleries(gallery_id),
  visitors INTEGER,          -- NULL until the exhibition has closed
  is_ticketed INTEGER
);

CREATE TABLE exhibition_objects (
  id INTEGER PRIMARY KEY,
  exhibition_id INTEGER NOT NULL REFERENCES exhibitions(exhibition_id),
  accession_no TEXT NOT NULL REFERENCES collection_objects(accession_no)
);

INSERT INTO makers VALUES
  (1, 'Clara Voss', 'German', 1871, 1944),
  (2, 'Jean-Baptiste Morel', 'French', 1820, 1889),
  (3, 'Aurelio Bassi', 'Italian', 1602, 1661),
  (4, 'Mary Ellen Whitcombe', 'British', 1888, 1971),
  (5, 'Tomás Arriaga', 'Spanish', 1932, 2010),
  (6, 'Ngozi Achebe-Lawal', 'Nigerian', 1965, NULL),
  (7, 'Kaito Morimoto', 'Japanese', 1948, NULL),
  (8, 'Ingrid Halvorsen', 'Norwegian', 1979, NULL),
  (9, 'Workshop of the Lindau Master', 'German', NULL, NULL),
  (10, 'Elias Thorne', 'American', 1851, 1920),
  (11, 'Zofia Brzezińska', 'Polish', 1899, 1983),
  (12, 'Rahul Deshmukh', 'Indian', 1956, NULL),
  (13, 'Anna Lindqvist', 'Swedish', 1921, 1999),
  (14, 'Pierre-Louis Garnier', 'French', 1746, 1812),
  (15, 'Celeste Ibarra', 'Mexican', 1968, NULL),
  (16, 'Hans Oberholzer', 'Swiss', 1905, 1977),
  (17, 'Wen Liqing', 'Chinese', 1938, 2016),
  (18, 'Grace Adebayo', 'British', 1990, NULL),
  (19, 'Marcus Feld', 'American', 1925, 2003),
  (20, 'Beatriz Costa', 'Portuguese', 1950, NULL),
  (21, 'Van der Hoek Pottery', 'Dutch', NULL, NULL),
  (22, 'Sigrid Nyman', 'Finnish', 1983, NULL),
  (23, 'Oskar Brandt', 'Danish', 1944, 2019),
  (24, 'Lucía Ferreyra', 'Argentine', 1971, NULL);

INSERT INTO galleries VALUES
  (1, 'Hall of Early Masters', 'North', 1, 1),
  (2, 'Print Room', 'North', 2, 1),
  (3, 'Sculpture Court', 'South', 0, 0),
  (4, 'Modern Gallery A', 'East', 1, 1),
  (5, 'Modern Gallery B', 'East', 1, 1),
  (6, 'Photography Gallery', 'East', 2, 1),
  (7, 'Textile Study Room', 'West', 2, 1),
  (8, 'Ceramics Corridor', 'West', 1, 0),
  (9, 'Contemporary Space', 'South', 1, 1),
  (10, 'Nineteenth Century Salon', 'North', 1, 1),
  (11, 'Asian Art Gallery', 'West', 1, 1),
  (12, 'Design Lab', 'South', 2, 0),
  (13, 'Atrium', 'South', 0, 0),
  (14, 'Rooftop Terrace', 'South', 3, 0),
  (15, 'Education Room', 'North', 0, 0);

INSERT INTO collection_objects VALUES
  ('1921.3.1', 'Portrait of a Merchant', 3, 'painting', 'oil on canvas', 1648, '1921-05-14', 'bequest', NULL, 1, 112.0, 89.5),
  ('1921.3.2', 'Still Life with Lemons', 3, 'painting', 'oil on canvas', 1655, '1921-05-14', 'bequest', NULL, 1, 64.0, 80.0),
  ('1934.12.1', 'The Harbour at Dawn', 2, 'painting', 'oil on canvas', 1874, '1934-10-02', 'purchase', 4200.00, 10, 73.0, 100.0),
  ('1934.12.2', 'Washerwomen by the Seine', 2, 'painting', 'oil on panel', 1868, '1934-10-02', 'purchase', 3100.00, 10, 40.5, 55.0),
  ('1950.7.4', 'Allegory of Autumn', 14, 'painting', 'oil on canvas', 1789, '1950-03-19', 'gift', NULL, 1, 145.0, 110.0),
  ('1950.7.5', 'Study of Hands', 14, 'drawing', 'red chalk on paper', 1785, '1950-03-19', 'gift', NULL, NULL, 30.0, 22.0),
  ('1962.1.1', 'Woman Reading', 1, 'painting', 'oil on canvas', 1903, '1962-06-11', 'purchase', 18500.00, 10, 81.0, 65.0),
  ('1962.1.2', 'Winter Garden, Munich', 1, 'print', 'etching', 1911, '1962-06-11', 'purchase', 950.00, 2, 24.0, 31.0),
  ('1968.4.1', 'Reclining Figure II', 16, 'sculpture', 'bronze', 1958, '1968-09-30', 'purchase', 27000.00, 3, 48.0, 96.0),
  ('1971.2.1', 'Tea Bowl, Kuro Glaze', 7, 'ceramic', 'stoneware', 1969, '1971-02-20', 'purchase', 1200.00, 11, 8.5, 12.0),
  ('1975.9.3', 'Coastal Path, Cornwall', 4, 'painting', 'watercolour on paper', 1936, '1975-11-04', 'bequest', NULL, 2, 35.0, 50.0),
  ('1975.9.4', 'Cornish Fishermen', 4, 'painting', 'oil on board', 1941, '1975-11-04', 'bequest', NULL, NULL, 60.0, 75.0),
  ('1980.5.1', 'Blue Vessel', 21, 'ceramic', 'tin-glazed earthenware', 1690, '1980-04-15', 'purchase', 6400.00, 8, 38.0, 20.0),
  ('1980.5.2', 'Tile Panel with Tulips', 21, 'ceramic', 'tin-glazed earthenware', 1705, '1980-04-15', 'purchase', 2800.00, 8, 52.0, 39.0),
  ('1983.6.1', 'Altarpiece Wing: Saint Barbara', 9, 'painting', 'tempera on panel', 1490, '1983-12-01', 'transfer', NULL, 1, 120.0, 45.0),
  ('1983.6.2', 'Carved Virgin and Child', 9, 'sculpture', 'limewood', 1495, '1983-12-01', 'transfer', NULL, 1, 88.0, 32.0),
  ('1987.11.1', 'Untitled (Red Grid)', 5, 'painting', 'acrylic on canvas', 1974, '1987-08-08', 'purchase', 42000.00, 4, 180.0, 180.0),
  ('1987.11.2', 'Harvest Tapestry', 11, 'textile', 'wool and linen', 1952, '1987-08-08', 'gift', NULL, 7, 210.0, 160.0),
  ('1990.3.1', 'Factory at Night', 10, 'photograph', 'gelatin silver print', 1908, '1990-02-14', 'purchase', 3500.00, 6, 20.3, 25.4),
  ('1990.3.2', 'Brooklyn Bridge Cables', 10, 'photograph', 'gelatin silver print', 1912, '1990-02-14', 'purchase', 4100.00, NULL, 25.4, 20.3),
  ('1994.8.1', 'Composition in Ochre', 13, 'painting', 'oil on canvas', 1961, '1994-05-27', 'gift', NULL, 4, 100.0, 120.0),
  ('1994.8.2', 'Summer Light, Gotland', 13, 'print', 'lithograph', 1966, '1994-05-27', 'gift', NULL, 2, 45.0, 60.0),
  ('1998.1.1', 'Mountain Mist', 17, 'painting', 'ink on silk', 1979, '1998-10-10', 'purchase', 15800.00, 11, 136.0, 68.0),
  ('1998.1.2', 'Bamboo in Wind', 17, 'painting', 'ink on paper', 1985, '1998-10-10', 'purchase', 9200.00, NULL, 96.0, 45.0),
  ('2001.4.1', 'Chair No. 7', 19, 'design', 'steel and plywood', 1957, '2001-03-03', 'gift', NULL, 12, 78.0, 50.0),
  ('2001.4.2', 'Lamp Prototype', 19, 'design', 'aluminium', 1962, '2001-03-03', 'gift', NULL, 12, 55.0, 30.0),
  ('2004.2.1', 'Monsoon Street', 12, 'photograph', 'chromogenic print', 1988, '2004-06-19', 'purchase', 2600.00, 6, 50.8, 61.0),
  ('2006.7.1', 'Lisbon Rooftops', 20, 'painting', 'oil on canvas', 1979, '2006-09-12', 'purchase', 11000.00, 4, 90.0, 120.0),
  ('2008.5.1', 'Kinetic Spiral', 5, 'sculpture', 'painted steel', 1992, '2008-11-21', 'gift', NULL, 13, 320.0, 140.0),
  ('2010.1.1', 'Wave Form Vase', 7, 'ceramic', 'porcelain', 2005, '2010-01-25', 'purchase', 4800.00, 11, 32.0, 18.0),
  ('2012.3.1', 'Market Women, Lagos', 6, 'painting', 'acrylic on canvas', 2009, '2012-04-02', 'purchase', 24000.00, 9, 150.0, 200.0),
  ('2012.3.2', 'Ancestral Threads', 6, 'textile', 'cotton, indigo dye', 2011, '2012-04-02', 'purchase', 13500.00, 7, 240.0, 120.0),
  ('2014.6.1', 'Untitled (Fjord)', 8, 'photograph', 'inkjet print', 2012, '2014-07-15', 'purchase', 3200.00, NULL, 100.0, 150.0),
  ('2015.2.1', 'Pulse', 8, 'installation', 'LED and steel', 2014, '2015-03-18', 'purchase', 56000.00, 9, 250.0, 400.0),
  ('2016.9.1', 'Day of the Dead Altar', 15, 'installation', 'mixed media', 2015, '2016-10-28', 'gift', NULL, 9, 210.0, 180.0),
  ('2017.4.1', 'Red Earth Bowl', NULL, 'ceramic', 'earthenware', NULL, '2017-05-05', 'transfer', NULL, 8, 14.0, 28.0),
  ('2017.4.2', 'Fragment of a Silk Robe', NULL, 'textile', 'silk', NULL, '2017-05-05', 'transfer', NULL, NULL, 45.0, 38.0),
  ('2018.1.1', 'Self-Portrait in Blue', 18, 'painting', 'oil on linen', 2017, '2018-02-09', 'purchase', 7500.00, 9, 60.0, 50.0),
  ('2019.5.1', 'Glacier Index', 22, 'photograph', 'archival pigment print', 2018, '2019-06-21', 'purchase', 2900.00, 6, 80.0, 120.0),
  ('2020.8.1', 'Mother Tongue', 15, 'painting', 'oil on canvas', 2019, '2020-09-01', 'purchase', 19000.00, NULL, 120.0, 90.0),
  ('2021.2.1', 'Salt Flats', 22, 'photograph', 'archival pigment print', 2020, '2021-03-30', 'gift', NULL, NULL, 80.0, 120.0),
  ('2022.6.1', 'Borrowed Light', 18, 'installation', 'projection', 2021, '2022-07-08', 'purchase', 31000.00, 14, NULL, NULL),
  ('2023.1.1', 'Jade Cicada', NULL, 'sculpture', 'nephrite jade', NULL, '2023-02-17', 'bequest', NULL, 11, 3.0, 6.0),
  ('2023.1.2', 'Ledger Drawing No. 4', 12, 'drawing', 'ink on ledger paper', 2022, '2023-02-17', 'gift', NULL, NULL, 28.0, 40.0),
  ('2024.3.1', 'Tidal Archive', 8, 'installation', 'video, sound', 2023, '2024-04-11', 'purchase', 48000.00, NULL, NULL, NULL),
  ('2024.3.2', 'Weave Study', 6, 'textile', 'raffia', 2023, '2024-04-11', 'gift', NULL, NULL, 90.0, 70.0),
  ('2025.1.1', 'Northern Drift', 8, 'photograph', 'inkjet print', 2024, '2025-01-20', 'gift', NULL, NULL, 70.0, 105.0);

INSERT INTO exhibitions VALUES
  (1, 'Northern Light: Nordic Art 1900-2000', '2019-03-01', '2019-06-30', 'Dr. Helen Marsh', 4, 48210, 1),
  (2, 'Clay and Fire', '2019-09-14', '2020-01-12', 'Kenji Ota', 8, 22950, 0),
  (3, 'Faces of Power', '2020-02-01', '2020-03-15', 'Dr. Helen Marsh', 1, 15400, 1),
  (4, 'Photography and the City', '2021-05-20', '2021-09-26', 'Ruth Abara', 6, 36780, 1),
  (5, 'Threads: Textiles from Four Continents', '2021-11-05', '2022-03-13', 'Sofia Lindgren', 7, 29100, 1),
  (6, 'Paper Trails', '2022-04-09', '2022-07-31', 'Anika Brandt', 2, 12350, 0),
  (7, 'Masters of the North', '2022-10-01', '2023-01-29', 'Dr. Helen Marsh', 1, 51900, 1),
  (8, 'Design for Living', '2023-03-11', '2023-06-18', 'Marco Ventura', 12, 27640, 0),
  (9, 'New Voices: Acquisitions 2010-2022', '2023-09-15', '2024-01-07', 'Ruth Abara', 9, 33210, 1),
  (10, 'Ink and Silk', '2024-02-17', '2024-05-26', 'Kenji Ota', 11, 25480, 1),
  (11, 'Light Works', '2024-06-21', '2024-10-13', 'Ruth Abara', 9, 41075, 1),
  (12, 'The Painted Harbour', '2024-11-08', '2025-02-23', 'Dr. Helen Marsh', 10, 38990, 1),
  (13, 'Ceramics Now', '2025-03-14', '2025-07-06', 'Kenji Ota', 8, 17420, 0),
  (14, 'Woven Worlds', '2025-09-19', '2026-01-11', 'Sofia Lindgren', 7, NULL, 1),
  (15, 'Earth and Sky: Landscape Photography', '2026-03-06', '2026-06-28', 'Sofia Lindgren', 6, NULL, 1),
  (16, 'Family Day Festival', '2024-08-03', '2024-08-04', 'Education Team', 15, 6200, 0);

INSERT INTO exhibition_objects (exhibition_id, accession_no) VALUES
  (1, '2014.6.1'), (1, '2015.2.1'), (1, '1994.8.1'), (1, '1994.8.2'),
  (2, '1971.2.1'), (2, '1980.5.1'), (2, '1980.5.2'), (2, '2010.1.1'), (2, '2017.4.1'),
  (3, '1921.3.1'), (3, '1962.1.1'), (3, '1950.7.4'),
  (4, '1990.3.1'), (4, '1990.3.2'), (4, '2004.2.1'), (4, '2019.5.1'),
  (5, '1987.11.2'), (5, '2012.3.2'), (5, '2017.4.2'),
  (6, '1950.7.5'), (6, '1962.1.2'), (6, '1975.9.3'), (6, '1994.8.2'), (6, '1998.1.2'),
  (7, '1921.3.1'), (7, '1921.3.2'), (7, '1983.6.1'), (7, '1983.6.2'),
  (8, '2001.4.1'), (8, '2001.4.2'), (8, '2010.1.1'),
  (9, '2010.1.1'), (9, '2012.3.1'), (9, '2014.6.1'), (9, '2016.9.1'), (9, '2018.1.1'), (9, '2020.8.1'), (9, '2022.6.1'),
  (10, '1998.1.1'), (10, '1998.1.2'), (10, '2023.1.1'),
  (11, '2015.2.1'), (11, '2022.6.1'), (11, '2024.3.1'), (11, '2019.5.1'),
  (12, '1934.12.1'), (12, '1934.12.2'), (12, '1975.9.4'), (12, '2006.7.1'),
  (13, '2010.1.1'), (13, '1971.2.1'), (13, '2017.4.1'),
  (14, '2012.3.2'), (14, '2024.3.2'), (14, '1987.11.2'), (14, '2017.4.2'),
  (15, '2019.5.1'), (15, '2021.2.1'), (15, '2014.6.1'), (15, '2025.1.1');
