-- A chess club's records, kept by a volunteer in a small web app (camelCase columns):
-- members and their club rating, the club's tournaments, who entered each one, and
-- the rated games played, in tournaments or casually on club night. A game's result
-- is written from White's side: '1-0' White won, '0-1' Black won, '1/2-1/2' a draw.

CREATE TABLE clubMembers (
  memberId INTEGER PRIMARY KEY,
  firstName TEXT NOT NULL,
  lastName TEXT NOT NULL,
  email TEXT,
  birthDate DATE,
  rating INTEGER,              -- club rating; NULL until the first rated game
  title TEXT,                  -- FM | CM; NULL for untitled players
  joinedOn DATE,
  isJunior BOOLEAN,            -- under 18
  duesPaidThrough DATE
);

CREATE TABLE tournaments (
  tournamentId INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  startDate DATE,
  endDate DATE,
  timeControl TEXT,            -- minutes + increment in seconds: 90+30, 60+10, 25+5, 3+2
  format TEXT,                 -- swiss | round robin | knockout
  rounds INTEGER,
  entryFee REAL,
  directorId INTEGER REFERENCES clubMembers(memberId)
);

CREATE TABLE entries (
  entryId INTEGER PRIMARY KEY,
  tournamentId INTEGER NOT NULL REFERENCES tournaments(tournamentId),
  memberId INTEGER NOT NULL REFERENCES clubMembers(memberId),
  registeredAt DATETIME,
  seed INTEGER,                -- NULL until pairings are made
  finalPlace INTEGER           -- NULL until the event is over
);

CREATE TABLE games (
  gameId INTEGER PRIMARY KEY,
  tournamentId INTEGER REFERENCES tournaments(tournamentId),  -- NULL for casual rated games
  roundNo INTEGER,
  whiteId INTEGER NOT NULL REFERENCES clubMembers(memberId),
  blackId INTEGER NOT NULL REFERENCES clubMembers(memberId),
  result TEXT,
  ecoCode TEXT,                -- opening classification code, e.g. B90
  openingName TEXT,
  moveCount INTEGER,
  playedOn DATE
);

INSERT INTO clubMembers VALUES
  (1, 'Alexei', 'Volkov', 'avolkov@gmail.com', '1971-05-14', 2215, 'FM', '2012-09-01', 0, '2025-06-30'),
  (2, 'Priya', 'Raman', 'priya.raman@outlook.com', '1990-11-02', 1980, NULL, '2015-01-10', 0, '2025-06-30'),
  (3, 'Marcus', 'Bell', 'mbell@gmail.com', '1985-03-22', 1875, NULL, '2016-04-18', 0, '2024-06-30'),
  (4, 'Sofia', 'Marquez', 'sofia.mq@gmail.com', '2009-07-30', 1720, NULL, '2021-09-12', 1, '2025-06-30'),
  (5, 'Henry', 'Okonkwo', 'h.okonkwo@yahoo.com', '1958-12-09', 1905, 'CM', '2010-02-05', 0, '2025-06-30'),
  (6, 'Lily', 'Zhang', 'lilyz@gmail.com', '2011-02-18', 1540, NULL, '2022-10-01', 1, '2025-06-30'),
  (7, 'Tomás', 'Herrera', NULL, '1979-08-25', 1650, NULL, '2019-06-20', 0, '2023-12-31'),
  (8, 'Eva', 'Lindqvist', 'eva.lindqvist@proton.me', '1996-04-11', 2050, 'CM', '2018-03-03', 0, '2025-06-30'),
  (9, 'Noah', 'Fischer', 'noahf@gmail.com', '2008-09-05', 1810, NULL, '2020-01-15', 1, '2025-06-30'),
  (10, 'Grace', 'Adeyemi', 'gadeyemi@outlook.com', '1988-01-29', 1605, NULL, '2023-02-11', 0, '2024-12-31'),
  (11, 'Ben', 'Carter', NULL, '2012-06-14', NULL, NULL, '2024-09-07', 1, '2025-06-30'),
  (12, 'Ruth', 'Goldberg', 'ruth.g@gmail.com', '1949-10-03', 1760, NULL, '2008-05-20', 0, '2025-06-30'),
  (13, 'Daniel', 'Kim', 'dkim@yahoo.com', '1993-12-19', 1890, NULL, '2017-08-08', 0, '2024-06-30'),
  (14, 'Amara', 'Singh', 'amara.singh@gmail.com', '2010-03-27', 1455, NULL, '2024-01-20', 1, '2025-06-30');

INSERT INTO tournaments VALUES
  (1, 'Winter Classic 2024', '2024-01-13', '2024-02-10', '90+30', 'swiss', 5, 25.00, 12),
  (2, 'Blitz Night January', '2024-01-26', '2024-01-26', '3+2', 'swiss', 7, 5.00, 3),
  (3, 'Club Championship 2024', '2024-03-02', '2024-04-27', '90+30', 'round robin', 5, 40.00, 12),
  (4, 'Junior Open', '2024-05-18', '2024-05-18', '25+5', 'swiss', 4, 0.00, 5),
  (5, 'Summer Rapid', '2024-07-13', '2024-07-14', '25+5', 'swiss', 5, 15.00, 12),
  (6, 'Knockout Cup', '2024-09-07', '2024-10-19', '60+10', 'knockout', 2, 20.00, 2),
  (7, 'Autumn Swiss', '2024-10-26', '2024-11-23', '90+30', 'swiss', 5, 25.00, 12),
  (8, 'Holiday Blitz', '2024-12-14', '2024-12-14', '3+2', 'swiss', 7, 5.00, 3);

INSERT INTO entries VALUES
  (1, 1, 1, '2024-01-02 18:30', 1, 1),
  (2, 1, 8, '2024-01-03 09:12', 2, 2),
  (3, 1, 5, '2024-01-05 20:01', 3, 3),
  (4, 1, 2, '2024-01-04 12:45', 4, 4),
  (5, 1, 13, '2024-01-08 21:10', 5, 5),
  (6, 1, 9, '2024-01-11 17:00', 6, 6),
  (7, 3, 1, '2024-02-15 19:00', 1, 2),
  (8, 3, 8, '2024-02-16 08:30', 2, 1),
  (9, 3, 2, '2024-02-16 10:00', 3, 3),
  (10, 3, 5, '2024-02-18 14:20', 4, 4),
  (11, 3, 13, '2024-02-20 22:05', 5, 6),
  (12, 3, 3, '2024-02-25 16:40', 6, 5),
  (13, 4, 9, '2024-05-01 17:30', 1, 1),
  (14, 4, 4, '2024-05-02 18:00', 2, 2),
  (15, 4, 6, '2024-05-10 19:15', 3, 3),
  (16, 4, 14, '2024-05-15 20:45', 4, 4),
  (17, 6, 8, '2024-08-20 12:00', 1, 1),
  (18, 6, 5, '2024-08-22 09:40', 2, 2),
  (19, 6, 3, '2024-08-25 21:30', 3, 3),
  (20, 6, 4, '2024-08-30 16:10', 4, 4),
  (21, 8, 2, '2024-12-01 10:00', NULL, NULL),
  (22, 8, 6, '2024-12-02 18:25', NULL, NULL),
  (23, 8, 10, '2024-12-03 20:00', NULL, NULL),
  (24, 8, 3, '2024-12-05 17:45', NULL, NULL),
  (25, 8, 13, '2024-12-06 12:30', NULL, NULL);

INSERT INTO games VALUES
  (1, 1, 1, 1, 9, '1-0', 'B90', 'Sicilian Najdorf', 41, '2024-01-13'),
  (2, 1, 1, 13, 8, '0-1', 'E60', 'King''s Indian Defence', 56, '2024-01-13'),
  (3, 1, 1, 5, 2, '1/2-1/2', 'D37', 'Queen''s Gambit Declined', 33, '2024-01-13'),
  (4, 1, 2, 8, 1, '1/2-1/2', 'C65', 'Ruy Lopez, Berlin Defence', 28, '2024-01-20'),
  (5, 1, 2, 2, 9, '1-0', 'B12', 'Caro-Kann, Advance Variation', 47, '2024-01-20'),
  (6, 1, 2, 13, 5, '0-1', 'A10', 'English Opening', 62, '2024-01-20'),
  (7, 1, 3, 9, 5, '1-0', 'C42', 'Petrov Defence', 39, '2024-01-27'),
  (8, 1, 3, 1, 2, '1-0', 'B90', 'Sicilian Najdorf', 35, '2024-01-27'),
  (9, 1, 4, 8, 13, '1-0', 'D02', 'London System', 44, '2024-02-03'),
  (10, 3, 1, 8, 3, '1-0', 'E60', 'King''s Indian Defence', 52, '2024-03-02'),
  (11, 3, 1, 1, 13, '1-0', 'C65', 'Ruy Lopez, Berlin Defence', 38, '2024-03-02'),
  (12, 3, 2, 2, 5, '0-1', 'D37', 'Queen''s Gambit Declined', 60, '2024-03-16'),
  (13, 3, 2, 3, 1, '1/2-1/2', 'B12', 'Caro-Kann, Advance Variation', 71, '2024-03-16'),
  (14, 3, 3, 1, 8, '0-1', 'B90', 'Sicilian Najdorf', 45, '2024-03-30'),
  (15, 3, 3, 13, 2, '1/2-1/2', 'D02', 'London System', 30, '2024-03-30'),
  (16, 4, 1, 9, 14, '1-0', 'C50', 'Italian Game', 29, '2024-05-18'),
  (17, 4, 1, 4, 6, '1-0', 'B01', 'Scandinavian Defence', 36, '2024-05-18'),
  (18, 4, 2, 6, 9, '0-1', 'C50', 'Italian Game', 41, '2024-05-18'),
  (19, 4, 2, 14, 4, '0-1', 'D02', 'London System', 33, '2024-05-18'),
  (20, 6, 1, 8, 4, '1-0', 'B01', 'Scandinavian Defence', 48, '2024-09-07'),
  (21, 6, 1, 3, 5, '0-1', 'A10', 'English Opening', 57, '2024-09-07'),
  (22, 6, 2, 5, 8, '1/2-1/2', 'C65', 'Ruy Lopez, Berlin Defence', 94, '2024-10-19'),
  (23, 6, 2, 8, 5, '1-0', 'B90', 'Sicilian Najdorf', 61, '2024-10-19'),
  (24, NULL, NULL, 12, 7, '1-0', 'C50', 'Italian Game', 34, '2024-06-05'),
  (25, NULL, NULL, 10, 7, '0-1', 'B12', 'Caro-Kann, Advance Variation', 50, '2024-08-14');
