"""The hand-written database domains: the first twelve here, eleven more in
:mod:`agl_ops.tasks.sql.synth.domains_more`; ``DOMAINS`` holds all of them.

Spec names follow what people write in real schemas (``dept_id``, ``hire_date``,
``unit_price``, text primary keys for airport codes, two foreign keys to one table),
not names tuned to make a small model's guesses right; each generated database then
spells them in its own naming style (:mod:`agl_ops.tasks.sql.synth.naming`).
"""

from __future__ import annotations

from agl_ops.tasks.sql.synth import vocab as V
from agl_ops.tasks.sql.synth.domains_more import MORE_DOMAINS
from agl_ops.tasks.sql.synth.spec import C, D, Domain, Table

__all__ = ["DOMAINS", "domain_by_id"]

_T = Table

UNIVERSITY = Domain("university", (
    _T("department", "department", "departments", "dept_name", (6, 9), (
        C("dept_id", "pk"),
        C("dept_name", "choice_unique", "name|department name", choices=(
            "Physics", "History", "Computer Science", "Economics", "Biology", "Mathematics", "Philosophy",
            "Chemistry", "Linguistics")),
        C("building", "choice", "building", choices=("Watson Hall", "Taylor Hall", "Packard Hall", "Gates Hall")),
        C("budget", "money", "budget", lo=150_000, hi=2_000_000),
    )),
    _T("instructor", "instructor", "instructors", "name", (18, 30), (
        C("instructor_id", "pk"),
        C("name", "person", "name"),
        C("dept_id", "fk", "department", ref="department"),
        C("salary", "money", "salary", lo=45_000, hi=160_000),
        C("hire_year", "year", "hire year|year of hiring", lo=1992, hi=2023),
        C("academic_rank", "choice", "rank|academic rank", choices=(
            "Lecturer", "Assistant Professor", "Associate Professor", "Professor")),
    ), nouns=("professor/professors", "teacher/teachers", "faculty member/faculty members")),
    _T("course", "course", "courses", "title", (20, 32), (
        C("course_id", "pk"),
        C("title", "title", "title|course title", parts=(("Introduction to", "Advanced", "Topics in", "Foundations of", "Applied"), V.SUBJECTS)),
        C("dept_id", "fk", "department", ref="department"),
        C("credits", "int", "credits|number of credits", lo=1, hi=5),
        C("max_enrollment", "int", "maximum enrollment|capacity", lo=15, hi=200),
    )),
    _T("student", "student", "students", "name", (30, 50), (
        C("student_id", "pk"),
        C("name", "person", "name"),
        C("major_dept_id", "fk", "major department", ref="department"),
        C("enrollment_year", "year", "enrollment year|year of enrollment", lo=2017, hi=2024),
        C("gpa", "real", "GPA|grade point average", lo=2.0, hi=4.0, null_frac=0.05),
    ), nouns=("undergraduate/undergraduates",)),
))

ONLINE_STORE = Domain("online_store", (
    _T("customers", "customer", "customers", "customer_name", (20, 35), (
        C("customer_id", "pk"),
        C("customer_name", "person", "name|customer name"),
        C("city", "city", "city"),
        C("signup_date", "date", "signup date|registration date", lo=2018, hi=2024, verbs="signed up|registered"),
        C("loyalty_tier", "choice", "loyalty tier|membership tier", choices=("Bronze", "Silver", "Gold", "Platinum")),
        C("email", "email", "email address|email|e-mail", null_frac=0.2),
    ), nouns=("client/clients", "shopper/shoppers", "buyer/buyers")),
    _T("products", "product", "products", "product_name", (20, 35), (
        C("product_id", "pk"),
        C("product_name", "title", "name|product name", parts=(V.PRODUCT_ADJ, V.PRODUCT_NOUN)),
        C("category", "choice", "category|product category", choices=("Electronics", "Kitchen", "Outdoor", "Office", "Home")),
        C("unit_price", "money", "unit price|price", lo=4, hi=450),
        C("stock_qty", "int", "stock quantity|quantity in stock|units in stock", lo=0, hi=400),
        C("is_discontinued", "bool", "are discontinued|are no longer sold", neg="are not discontinued|are still sold|are still on sale"),
    ), nouns=("item/items", "article/articles"),
       derived=(D("stock value|value of the stock|inventory value", "unit_price", "*", "stock_qty", "money"),)),
    _T("orders", "order", "orders", "order_id", (35, 55), (
        C("order_id", "pk"),
        C("customer_id", "fk", "customer", ref="customers"),
        C("order_date", "date", "order date|date of the order|purchase date", lo=2021, hi=2024, verbs="were placed|were made"),
        C("status", "choice", "status|order status", choices=("pending", "shipped", "delivered", "cancelled", "returned")),
        C("total_amount", "money", "total amount|order total|amount", lo=10, hi=1500),
    ), nouns=("purchase/purchases",)),
    _T("order_items", "order item", "order items", "order_item_id", (50, 80), (
        C("order_item_id", "pk"),
        C("order_id", "fk", "order", ref="orders"),
        C("product_id", "fk", "product", ref="products"),
        C("quantity", "int", "quantity", lo=1, hi=8),
    )),
))

HOSPITAL = Domain("hospital", (
    _T("doctors", "doctor", "doctors", "full_name", (12, 20), (
        C("doctor_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("specialty", "choice", "specialty|medical specialty", choices=(
            "Cardiology", "Pediatrics", "Dermatology", "Neurology", "Oncology", "Orthopedics")),
        C("years_experience", "int", "years of experience|experience in years", lo=1, hi=38),
        C("consultation_fee", "money", "consultation fee|fee", lo=60, hi=420),
    ), nouns=("physician/physicians",)),
    _T("patients", "patient", "patients", "full_name", (30, 45), (
        C("patient_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("birth_year", "year", "birth year|year of birth", lo=1938, hi=2016),
        C("city", "city", "city|home city"),
        C("insurance_provider", "choice", "insurance provider|insurer", choices=(
            "MedCare", "HealthFirst", "Unity Health", "BlueShield", "None")),
    )),
    _T("appointments", "appointment", "appointments", "appointment_id", (50, 80), (
        C("appointment_id", "pk"),
        C("patient_id", "fk", "patient", ref="patients"),
        C("doctor_id", "fk", "doctor", ref="doctors"),
        C("appointment_date", "date", "appointment date|date", lo=2022, hi=2024, verbs="took place|were scheduled"),
        C("status", "choice", "status", choices=("scheduled", "completed", "cancelled", "no-show")),
        C("duration_min", "int", "duration in minutes|duration", lo=10, hi=90),
    ), nouns=("visit/visits", "consultation/consultations")),
))

FLIGHTS = Domain("flight_network", (
    _T("airports", "airport", "airports", "airport_name", (10, 14), (
        C("airport_code", "pk", "airport code|code", text_key=True, choices=(
            "LIS", "YYZ", "KIX", "DEN", "LYS", "AUS", "KRK", "MEL", "SEA", "OPO", "MUC", "BOS", "NBO", "VLC")),
        C("airport_name", "title", "name|airport name", parts=(V.CITIES, ("International", "Regional", "Municipal"))),
        C("country", "country", "country"),
        C("elevation_ft", "int", "elevation in feet|elevation", lo=5, hi=5400),
    )),
    _T("airlines", "airline", "airlines", "airline_name", (6, 10), (
        C("airline_id", "pk"),
        C("airline_name", "title", "name|airline name", parts=(V.COMPANY_PARTS, ("Air", "Airways", "Jet", "Wings"))),
        C("home_country", "country", "home country|country"),
        C("founded_year", "year", "founding year|year founded", lo=1925, hi=2015),
        C("fleet_size", "int", "fleet size|number of aircraft", lo=8, hi=420),
    )),
    _T("flights", "flight", "flights", "flight_no", (40, 60), (
        C("flight_id", "pk"),
        C("flight_no", "code", "flight number"),
        C("airline_id", "fk", "airline|operating airline", ref="airlines"),
        C("origin", "fk", "origin airport|departure airport", ref="airports", text_key=True),
        C("destination", "fk", "destination airport|arrival airport", ref="airports", text_key=True),
        C("distance_km", "int", "distance in kilometers|distance", lo=150, hi=11_000),
        C("departure_date", "date", "departure date|date of departure", lo=2024, hi=2024, verbs="departed|left"),
        C("seats_sold", "int", "number of seats sold|seats sold", lo=20, hi=350),
    )),
))

MUSIC = Domain("music_catalog", (
    _T("artist", "artist", "artists", "artist_name", (10, 16), (
        C("artist_id", "pk"),
        C("artist_name", "title", "name|artist name", parts=(("The",), V.ADJECTIVES, V.MASCOTS)),
        C("country", "country", "country|home country"),
        C("debut_year", "year", "debut year|year of debut", lo=1968, hi=2020),
    )),
    _T("album", "album", "albums", "title", (20, 32), (
        C("album_id", "pk"),
        C("title", "title", "title|album title", parts=(V.ADJECTIVES, V.NOUNS)),
        C("artist_id", "fk", "artist", ref="artist"),
        C("release_year", "year", "release year|year of release", lo=1970, hi=2024),
        C("genre", "choice", "genre", choices=("Rock", "Jazz", "Pop", "Electronic", "Folk", "Hip Hop")),
        C("price", "money", "price", lo=6, hi=32),
    )),
    _T("track", "track", "tracks", "track_title", (50, 80), (
        C("track_id", "pk"),
        C("track_title", "title", "title|track title|song title", parts=(V.TRACK_WORDS, V.NOUNS)),
        C("album_id", "fk", "album", ref="album"),
        C("duration_sec", "int", "duration in seconds|length in seconds", lo=95, hi=460),
        C("play_count", "int", "play count|number of plays|plays", lo=0, hi=900_000),
    ), nouns=("song/songs",), derived=(D("duration in minutes|length in minutes", "duration_sec", "/", "60.0"),)),
))

LIBRARY = Domain("city_library", (
    _T("authors", "author", "authors", "name", (12, 18), (
        C("author_id", "pk"),
        C("name", "person", "name"),
        C("nationality", "nationality", "nationality"),
        C("birth_year", "year", "birth year|year of birth", lo=1850, hi=1990),
    )),
    _T("books", "book", "books", "title", (30, 45), (
        C("book_id", "pk"),
        C("title", "title", "title", parts=(("The",), V.ADJECTIVES, V.NOUNS)),
        C("author_id", "fk", "author", ref="authors"),
        C("genre", "choice", "genre", choices=("Mystery", "Science Fiction", "Biography", "Romance", "History", "Fantasy")),
        C("pub_year", "year", "publication year|year of publication", lo=1901, hi=2024),
        C("page_count", "int", "number of pages|page count", lo=90, hi=950),
    )),
    _T("members", "member", "members", "member_name", (20, 30), (
        C("member_id", "pk"),
        C("member_name", "person", "name|member name"),
        C("membership_type", "choice", "membership type", choices=("Standard", "Student", "Senior", "Family")),
        C("joined_on", "date", "join date|date joined", lo=2010, hi=2024, verbs="joined|signed up"),
    ), nouns=("patron/patrons", "library member/library members")),
    _T("loans", "loan", "loans", "loan_id", (50, 80), (
        C("loan_id", "pk"),
        C("book_id", "fk", "book", ref="books"),
        C("member_id", "fk", "member|borrower", ref="members"),
        C("loan_date", "date", "loan date|checkout date", lo=2023, hi=2024, verbs="were made|were checked out"),
        C("days_kept", "int", "days kept|number of days borrowed", lo=1, hi=45),
        C("is_returned", "bool", "have been returned|were returned|are back", neg="have not been returned|are still checked out|are still out"),
    )),
))

COMPANY = Domain("company_hr", (
    _T("departments", "department", "departments", "department_name", (6, 8), (
        C("department_id", "pk"),
        C("department_name", "choice_unique", "name|department name", choices=(
            "Engineering", "Marketing", "Finance", "Sales", "Legal", "Operations", "Research", "Support")),
        C("location", "city", "location|city"),
        C("annual_budget", "money", "annual budget|budget", lo=200_000, hi=5_000_000),
    )),
    _T("employees", "employee", "employees", "full_name", (30, 50), (
        C("employee_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("job_title", "choice", "job title|title", choices=(
            "Analyst", "Engineer", "Manager", "Designer", "Specialist", "Coordinator")),
        C("department_id", "fk", "department", ref="departments"),
        C("salary", "money", "salary|annual salary", lo=38_000, hi=210_000),
        C("hire_date", "date", "hire date|date of hire|start date", lo=2005, hi=2024, verbs="were hired|joined"),
        C("performance_score", "real", "performance score|rating", lo=1.0, hi=5.0, null_frac=0.1),
        C("is_remote", "bool", "work remotely|are remote", neg="work on site|are not remote|work in the office"),
    ), nouns=("staff member/staff members", "worker/workers")),
    _T("projects", "project", "projects", "project_name", (12, 20), (
        C("project_id", "pk"),
        C("project_name", "title", "name|project name", parts=(("Project",), V.CODENAMES)),
        C("department_id", "fk", "department|owning department", ref="departments"),
        C("start_date", "date", "start date|kickoff date", lo=2019, hi=2024, verbs="started|began|kicked off"),
        C("budget", "money", "budget", lo=20_000, hi=900_000),
        C("status", "choice", "status", choices=("planned", "active", "on hold", "completed")),
    )),
))

REAL_ESTATE = Domain("real_estate", (
    _T("agents", "agent", "agents", "agent_name", (8, 12), (
        C("agent_id", "pk"),
        C("agent_name", "person", "name|agent name"),
        C("agency", "choice", "agency|brokerage", choices=("Harbor Realty", "Keystone Homes", "Urban Nest", "Prime Estates")),
        C("years_licensed", "int", "years licensed|number of years licensed", lo=1, hi=30),
    )),
    _T("properties", "property", "properties", "address", (30, 45), (
        C("property_id", "pk"),
        C("address", "address", "address|street address"),
        C("city", "city", "city"),
        C("property_type", "choice", "property type|type", choices=("House", "Apartment", "Condo", "Townhouse")),
        C("bedrooms", "int", "number of bedrooms|bedrooms", lo=1, hi=6),
        C("area_sqm", "int", "floor area in square meters|area", lo=35, hi=420),
        C("list_price", "money", "list price|asking price", lo=90_000, hi=2_400_000),
        C("agent_id", "fk", "listing agent|agent", ref="agents"),
    ), nouns=("listing/listings", "home/homes"),
       derived=(D("price per square meter|list price per square meter", "list_price", "/", "area_sqm", "money"),)),
    _T("sales", "sale", "sales", "sale_id", (18, 28), (
        C("sale_id", "pk"),
        C("property_id", "fk", "property", ref="properties"),
        C("sale_date", "date", "sale date|date of sale|closing date", lo=2020, hi=2024, verbs="closed|were completed"),
        C("sale_price", "money", "sale price|selling price", lo=85_000, hi=2_500_000),
        C("buyer_name", "person", "buyer name|buyer"),
    )),
))

FOOTBALL = Domain("football_league", (
    _T("team", "team", "teams", "team_name", (8, 12), (
        C("team_id", "pk"),
        C("team_name", "title", "name|team name", parts=(V.CITIES, V.MASCOTS)),
        C("home_city", "city", "home city|city"),
        C("founded", "year", "founding year|year founded", lo=1880, hi=2005),
        C("stadium_capacity", "int", "stadium capacity", lo=8_000, hi=81_000),
    )),
    _T("player", "player", "players", "player_name", (40, 60), (
        C("player_id", "pk"),
        C("player_name", "person", "name|player name"),
        C("team_id", "fk", "team|club", ref="team"),
        C("position", "choice", "position", choices=("Goalkeeper", "Defender", "Midfielder", "Forward")),
        C("age", "int", "age", lo=17, hi=38),
        C("goals", "int", "number of goals|goals scored", lo=0, hi=28),
        C("nationality", "nationality", "nationality"),
    ), nouns=("footballer/footballers",)),
    _T("match", "match", "matches", "match_id", (30, 45), (
        C("match_id", "pk"),
        C("home_team_id", "fk", "home team", ref="team"),
        C("away_team_id", "fk", "away team|visiting team", ref="team"),
        C("match_date", "date", "match date|date", lo=2023, hi=2024, verbs="were played|took place"),
        C("home_goals", "int", "home goals|goals by the home team", lo=0, hi=5),
        C("away_goals", "int", "away goals|goals by the away team", lo=0, hi=4),
        C("attendance", "int", "attendance|number of spectators|crowd size", lo=3_000, hi=80_000),
    ), nouns=("game/games", "fixture/fixtures"),
       derived=(D("goal difference|winning margin of the home team", "home_goals", "-", "away_goals", "int"),
                D("total goals|number of goals scored in the match", "home_goals", "+", "away_goals", "int"))),
))

RESTAURANTS = Domain("restaurant_guide", (
    _T("restaurants", "restaurant", "restaurants", "name", (12, 20), (
        C("restaurant_id", "pk"),
        C("name", "title", "name|restaurant name", parts=(("The",), V.ADJECTIVES, ("Table", "Kitchen", "Spoon", "Fork", "Grill", "Bistro"))),
        C("cuisine", "choice", "cuisine|type of cuisine", choices=("Italian", "Japanese", "Mexican", "Indian", "Lebanese", "Thai")),
        C("city", "city", "city"),
        C("avg_rating", "real", "average rating|rating", lo=2.5, hi=5.0, null_frac=0.1),
        C("opened_year", "year", "opening year|year opened", lo=1975, hi=2023),
    ), nouns=("eatery/eateries",)),
    _T("menu_items", "menu item", "menu items", "dish_name", (40, 60), (
        C("item_id", "pk"),
        C("restaurant_id", "fk", "restaurant", ref="restaurants"),
        C("dish_name", "title", "dish name|name", parts=(V.DISH_ADJ, V.DISH_BASE)),
        C("price", "money", "price", lo=4, hi=48),
        C("calories", "int", "calories|calorie count", lo=120, hi=1400),
        C("is_vegetarian", "bool", "are vegetarian|are meat-free|are suitable for vegetarians", neg="are not vegetarian|contain meat"),
    ), nouns=("dish/dishes",)),
    _T("reviews", "review", "reviews", "review_id", (40, 60), (
        C("review_id", "pk"),
        C("restaurant_id", "fk", "restaurant", ref="restaurants"),
        C("reviewer", "person", "reviewer name|reviewer"),
        C("stars", "int", "stars|star rating", lo=1, hi=5),
        C("visit_date", "date", "visit date|date of visit", lo=2022, hi=2024, verbs="were written|were posted"),
    )),
))

CINEMA = Domain("film_archive", (
    _T("directors", "director", "directors", "name", (10, 15), (
        C("director_id", "pk"),
        C("name", "person", "name"),
        C("country", "country", "country"),
        C("birth_year", "year", "birth year|year of birth", lo=1930, hi=1992),
    )),
    _T("movies", "movie", "movies", "title", (28, 40), (
        C("movie_id", "pk"),
        C("title", "title", "title|movie title", parts=(V.ADJECTIVES, V.NOUNS)),
        C("director_id", "fk", "director", ref="directors"),
        C("release_year", "year", "release year|year of release", lo=1960, hi=2024),
        C("genre", "choice", "genre", choices=("Drama", "Comedy", "Thriller", "Documentary", "Animation", "Horror")),
        C("runtime_min", "int", "running time in minutes|runtime", lo=78, hi=185),
        C("box_office_musd", "real", "box office in millions of dollars|box office", lo=0.4, hi=880.0),
    ), nouns=("film/films", "picture/pictures")),
    _T("screenings", "screening", "screenings", "screening_id", (40, 60), (
        C("screening_id", "pk"),
        C("movie_id", "fk", "movie|film", ref="movies"),
        C("cinema", "choice", "cinema|theater", choices=("Odeon Central", "Lumiere", "Starlight", "Roxy", "Palace")),
        C("screening_date", "date", "screening date|date", lo=2024, hi=2024, verbs="took place|were shown"),
        C("tickets_sold", "int", "tickets sold|number of tickets sold", lo=5, hi=320),
    )),
))

CAR_RENTAL = Domain("car_rental", (
    _T("branches", "branch", "branches", "branch_name", (6, 9), (
        C("branch_id", "pk"),
        C("branch_name", "title", "name|branch name", parts=(V.CITIES, ("Airport", "Downtown", "Station"))),
        C("city", "city", "city"),
        C("opened_year", "year", "opening year|year opened", lo=1990, hi=2022),
    )),
    _T("vehicles", "vehicle", "vehicles", "plate_number", (30, 45), (
        C("vehicle_id", "pk"),
        C("plate_number", "code", "plate number|license plate"),
        C("make", "choice", "make|manufacturer", choices=("Toyota", "Ford", "Volkswagen", "Kia", "Renault", "Tesla")),
        C("model_year", "year", "model year", lo=2014, hi=2024),
        C("fuel_type", "choice", "fuel type|fuel", choices=("petrol", "diesel", "hybrid", "electric")),
        C("daily_rate", "money", "daily rate|price per day", lo=24, hi=190),
        C("branch_id", "fk", "branch|home branch", ref="branches"),
    ), nouns=("car/cars",)),
    _T("rentals", "rental", "rentals", "rental_id", (50, 80), (
        C("rental_id", "pk"),
        C("vehicle_id", "fk", "vehicle|car", ref="vehicles"),
        C("customer_name", "person", "customer name|customer"),
        C("start_date", "date", "start date|pickup date", lo=2023, hi=2024, verbs="started|began"),
        C("days", "int", "number of days|rental length in days", lo=1, hi=21),
        C("total_cost", "money", "total cost|cost", lo=30, hi=3_200),
    ), nouns=("booking/bookings", "hire/hires"),
       derived=(D("cost per day|daily cost", "total_cost", "/", "days", "money"),)),
))

DOMAINS: tuple[Domain, ...] = (
    UNIVERSITY, ONLINE_STORE, HOSPITAL, FLIGHTS, MUSIC, LIBRARY, COMPANY, REAL_ESTATE, FOOTBALL, RESTAURANTS,
    CINEMA, CAR_RENTAL, *MORE_DOMAINS,
)


def domain_by_id(db_id: str) -> Domain:
    for d in DOMAINS:
        if d.db_id == db_id:
            return d
    raise KeyError(f"no synthetic domain {db_id!r}; known: {[d.db_id for d in DOMAINS]}")
