"""Ten more database domains: more kinds of schema to learn from than the first twelve.

They bring what real schemas have and the first twelve had little of: optional
columns left NULL (an email nobody gave, a claim not yet approved, a harvest not
yet in), timestamps beside dates, yes/no flags, values computed from two columns,
and other names for the same rows (guests are also customers).
"""

from __future__ import annotations

from agl_ops.tasks.sql.synth import vocab as V
from agl_ops.tasks.sql.synth.spec import C, D, Domain, Table

__all__ = ["MORE_DOMAINS"]

_T = Table

HOTEL = Domain("hotel_bookings", (
    _T("hotels", "hotel", "hotels", "hotel_name", (6, 9), (
        C("hotel_id", "pk"),
        C("hotel_name", "title", "name|hotel name", parts=(V.PLACE_WORDS, ("Hotel", "Inn", "Suites", "Lodge"))),
        C("city", "city", "city|location"),
        C("star_rating", "int", "star rating|number of stars|stars", lo=2, hi=5),
        C("opened_year", "year", "opening year|year it opened", lo=1955, hi=2022),
    ), nouns=("property/properties",)),
    _T("rooms", "room", "rooms", "room_number", (30, 45), (
        C("room_id", "pk"),
        C("room_number", "code", "room number|number"),
        C("hotel_id", "fk", "hotel", ref="hotels"),
        C("room_type", "choice", "room type|type of room|category", choices=("single", "double", "twin", "suite", "family")),
        C("nightly_rate", "money", "nightly rate|price per night|rate", lo=55, hi=480),
        C("max_occupancy", "int", "maximum occupancy|number of guests it sleeps|capacity", lo=1, hi=6),
        C("is_available", "bool", "are available|are free|can be booked", neg="are not available|are unavailable|cannot be booked"),
    )),
    _T("guests", "guest", "guests", "guest_name", (25, 40), (
        C("guest_id", "pk"),
        C("guest_name", "person", "name|guest name|full name"),
        C("email", "email", "email address|email|e-mail", null_frac=0.2),
        C("phone_number", "phone", "phone number|telephone number|phone", null_frac=0.3),
        C("home_country", "country", "home country|country"),
        C("is_loyalty_member", "bool", "are loyalty members|belong to the loyalty program",
          neg="are not loyalty members|are not in the loyalty program"),
    ), nouns=("customer/customers", "visitor/visitors")),
    _T("bookings", "booking", "bookings", "booking_id", (45, 70), (
        C("booking_id", "pk"),
        C("guest_id", "fk", "guest", ref="guests"),
        C("room_id", "fk", "room", ref="rooms"),
        C("check_in_date", "date", "check-in date|arrival date", lo=2022, hi=2024, verbs="checked in|arrived"),
        C("nights", "int", "number of nights|length of stay in nights|nights", lo=1, hi=14),
        C("booked_at", "timestamp", "booking time|time of booking", lo=2021, hi=2024, verbs="were made|were booked"),
        C("special_request", "note", "special request|request", null_frac=0.6, choices=(
            "late check-in", "extra pillows", "quiet room", "airport pickup", "crib needed", "high floor")),
        C("channel", "choice", "booking channel|channel", choices=("website", "phone", "travel agent", "app")),
    ), nouns=("reservation/reservations", "stay/stays")),
))

VET = Domain("vet_clinic", (
    _T("owners", "owner", "owners", "owner_name", (20, 30), (
        C("owner_id", "pk"),
        C("owner_name", "person", "name|owner name|full name"),
        C("phone_number", "phone", "phone number|phone|contact number", null_frac=0.15),
        C("city", "city", "city|town"),
    ), nouns=("pet owner/pet owners", "client/clients")),
    _T("pets", "pet", "pets", "pet_name", (30, 36), (
        C("pet_id", "pk"),
        C("pet_name", "choice_unique", "name|pet name", choices=V.PET_NAMES),
        C("species", "choice", "species|kind of animal", choices=("dog", "cat", "rabbit", "parrot", "hamster")),
        C("owner_id", "fk", "owner", ref="owners"),
        C("date_of_birth", "date", "date of birth|birth date|birthday", lo=2008, hi=2023, null_frac=0.15,
          verbs="were born"),
        C("weight_kg", "real", "weight in kilograms|weight|weight in kg", lo=0.2, hi=48.0),
        C("is_neutered", "bool", "are neutered|have been neutered", neg="are not neutered|have not been neutered"),
    ), nouns=("animal/animals", "patient/patients")),
    _T("vets", "vet", "vets", "vet_name", (5, 8), (
        C("vet_id", "pk"),
        C("vet_name", "person", "name|vet name"),
        C("specialty", "choice", "specialty|area of expertise", choices=("general", "surgery", "dentistry", "exotics")),
        C("years_experience", "int", "years of experience|experience in years", lo=1, hi=32),
    ), nouns=("veterinarian/veterinarians", "doctor/doctors")),
    _T("visits", "visit", "visits", "visit_id", (50, 75), (
        C("visit_id", "pk"),
        C("pet_id", "fk", "pet|animal", ref="pets"),
        C("vet_id", "fk", "vet|veterinarian", ref="vets"),
        C("visit_date", "date", "visit date|date of the visit|date", lo=2022, hi=2024, verbs="took place|happened"),
        C("reason", "choice", "reason|reason for the visit", choices=(
            "vaccination", "checkup", "injury", "dental cleaning", "surgery", "skin problem")),
        C("cost", "money", "cost|fee|amount charged", lo=25, hi=900),
        C("needs_follow_up", "bool", "need a follow-up|require a follow-up visit", neg="need no follow-up|do not need a follow-up"),
        C("diagnosis_notes", "note", "diagnosis notes|diagnosis|notes", null_frac=0.45, choices=(
            "healthy", "mild infection", "overweight", "sprained leg", "ear mites", "dental tartar")),
    ), nouns=("appointment/appointments", "consultation/consultations")),
))

SHIPPING = Domain("shipping_logistics", (
    _T("warehouses", "warehouse", "warehouses", "warehouse_name", (5, 8), (
        C("warehouse_id", "pk"),
        C("warehouse_name", "title", "name|warehouse name", parts=(V.CITIES, ("North", "South", "East", "West", "Central"))),
        C("city", "city", "city|location"),
        C("capacity_pallets", "int", "capacity in pallets|capacity|pallet capacity", lo=800, hi=12_000),
        C("is_refrigerated", "bool", "are refrigerated|have cold storage", neg="are not refrigerated|have no cold storage"),
    ), nouns=("depot/depots", "distribution center/distribution centers")),
    _T("carriers", "carrier", "carriers", "carrier_name", (5, 8), (
        C("carrier_id", "pk"),
        C("carrier_name", "title", "name|carrier name", parts=(V.COMPANY_PARTS, ("Freight", "Express", "Cargo", "Haulage"))),
        C("base_country", "country", "home country|country"),
        C("rate_per_kg", "money", "rate per kilogram|price per kg|rate", lo=0.4, hi=6.5),
    ), nouns=("shipping company/shipping companies", "courier/couriers")),
    _T("shipments", "shipment", "shipments", "tracking_code", (50, 75), (
        C("shipment_id", "pk"),
        C("tracking_code", "code", "tracking code|tracking number"),
        C("warehouse_id", "fk", "origin warehouse|warehouse", ref="warehouses"),
        C("carrier_id", "fk", "carrier|shipping company", ref="carriers"),
        C("destination_city", "city", "destination city|destination"),
        C("ship_date", "date", "ship date|shipping date|dispatch date", lo=2023, hi=2024, verbs="were shipped|were sent out"),
        C("delivered_date", "date", "delivery date|date of delivery", lo=2023, hi=2024, null_frac=0.25,
          verbs="were delivered|arrived"),
        C("weight_kg", "real", "weight in kilograms|weight|weight in kg", lo=0.5, hi=900.0),
        C("declared_value", "money", "declared value|value", lo=20, hi=25_000),
        C("is_express", "bool", "are express|were sent express|are express deliveries",
          neg="are not express|were sent standard|are standard deliveries"),
        C("status", "choice", "status|shipment status", choices=("in transit", "delivered", "delayed", "lost", "returned")),
    ), nouns=("delivery/deliveries", "consignment/consignments")),
    _T("packages", "package", "packages", "package_id", (60, 90), (
        C("package_id", "pk"),
        C("shipment_id", "fk", "shipment|consignment", ref="shipments"),
        C("quantity", "int", "quantity|number of units|units", lo=1, hi=40),
        C("unit_weight_kg", "real", "unit weight|weight per unit", lo=0.1, hi=25.0),
        C("contents", "choice", "contents|type of goods", choices=("electronics", "furniture", "clothing", "food", "books", "tools")),
    ), nouns=("parcel/parcels", "box/boxes"),
       derived=(D("total weight|combined weight|overall weight", "quantity", "*", "unit_weight_kg"),)),
))

GYM = Domain("gym_memberships", (
    _T("plans", "plan", "plans", "plan_name", (4, 5), (
        C("plan_id", "pk"),
        C("plan_name", "choice_unique", "name|plan name", choices=("Basic", "Standard", "Premium", "Student", "Off-Peak")),
        C("monthly_fee", "money", "monthly fee|price per month|fee", lo=15, hi=120),
        C("min_term_months", "int", "minimum term in months|minimum term|contract length in months", lo=1, hi=24),
        C("includes_classes", "bool", "include classes|come with classes", neg="do not include classes|exclude classes"),
    ), nouns=("membership plan/membership plans", "tier/tiers"),
       derived=(D("yearly fee|annual cost|price per year", "monthly_fee", "*", "12", "money"),)),
    _T("gym_members", "member", "members", "full_name", (30, 50), (
        C("member_id", "pk"),
        C("full_name", "person", "name|full name|member name"),
        C("plan_id", "fk", "plan|membership plan", ref="plans"),
        C("join_date", "date", "join date|date joined|signup date", lo=2018, hi=2024, verbs="joined|signed up"),
        C("date_of_birth", "date", "date of birth|birth date", lo=1955, hi=2006, null_frac=0.1, verbs="were born"),
        C("email", "email", "email address|email", null_frac=0.15),
        C("is_active", "bool", "are active|still have an active membership|are current members",
          neg="are inactive|are not active|have lapsed"),
    ), nouns=("client/clients", "gym member/gym members")),
    _T("trainers", "trainer", "trainers", "trainer_name", (6, 10), (
        C("trainer_id", "pk"),
        C("trainer_name", "person", "name|trainer name"),
        C("specialty", "choice", "specialty|focus", choices=("strength", "yoga", "cycling", "boxing", "pilates")),
        C("hourly_rate", "money", "hourly rate|rate per hour|rate", lo=25, hi=95),
        C("hired_on", "date", "hire date|start date", lo=2012, hi=2024, verbs="were hired|started"),
    ), nouns=("coach/coaches", "instructor/instructors")),
    _T("fitness_classes", "class", "classes", "class_name", (16, 24), (
        C("class_id", "pk"),
        C("class_name", "title", "name|class name|title", parts=(("Morning", "Evening", "Lunchtime", "Weekend"), ("Spin", "HIIT", "Yoga", "Boxing", "Pilates", "Bootcamp"))),
        C("trainer_id", "fk", "trainer|coach", ref="trainers"),
        C("weekday", "choice", "weekday|day of the week|day", choices=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")),
        C("duration_minutes", "int", "duration in minutes|length in minutes|duration", lo=30, hi=90),
        C("capacity", "int", "capacity|maximum number of participants|number of spots", lo=8, hi=40),
    ), nouns=("session/sessions", "fitness class/fitness classes"),
       derived=(D("duration in hours|length in hours", "duration_minutes", "/", "60.0"),)),
))

CONFERENCE = Domain("conference_events", (
    _T("conferences", "conference", "conferences", "conference_name", (6, 9), (
        C("conference_id", "pk"),
        C("conference_name", "title", "name|conference name|title", parts=(V.CITIES, ("DevDays", "Summit", "Forum", "Expo", "Camp"))),
        C("city", "city", "city|host city|location"),
        C("start_date", "date", "start date|opening date|date", lo=2022, hi=2025, verbs="started|began|took place"),
        C("ticket_price", "money", "ticket price|price of a ticket|price", lo=0, hi=1200),
        C("is_virtual", "bool", "are virtual|are held online|are online-only", neg="are in person|are not virtual|are held on site"),
    ), nouns=("event/events",)),
    _T("speakers", "speaker", "speakers", "full_name", (18, 28), (
        C("speaker_id", "pk"),
        C("full_name", "person", "name|full name|speaker name"),
        C("company", "choice", "company|employer", choices=("Acme Labs", "Northwind", "Globex", "Initech", "Umbrella", "Hooli")),
        C("country", "country", "country|home country"),
        C("email", "email", "email address|email|contact email", null_frac=0.25),
    ), nouns=("presenter/presenters",)),
    _T("talks", "talk", "talks", "talk_title", (30, 45), (
        C("talk_id", "pk"),
        C("talk_title", "title", "title|talk title|name", parts=(V.TALK_OPENERS, V.TALK_TOPICS)),
        C("conference_id", "fk", "conference|event", ref="conferences"),
        C("speaker_id", "fk", "speaker|presenter", ref="speakers"),
        C("track", "choice", "track|topic track", choices=("backend", "frontend", "data", "security", "leadership")),
        C("duration_minutes", "int", "duration in minutes|length|duration", lo=15, hi=90),
        C("scheduled_at", "timestamp", "scheduled time|start time|time slot", lo=2022, hi=2025, verbs="were scheduled|are scheduled"),
    ), nouns=("session/sessions", "presentation/presentations")),
    _T("registrations", "registration", "registrations", "registration_id", (50, 80), (
        C("registration_id", "pk"),
        C("conference_id", "fk", "conference|event", ref="conferences"),
        C("attendee_name", "person", "attendee name|attendee|name"),
        C("registered_on", "date", "registration date|date of registration|sign-up date", lo=2021, hi=2025,
          verbs="were made|signed up"),
        C("ticket_type", "choice", "ticket type|kind of ticket", choices=("standard", "student", "early bird", "vip")),
        C("amount_paid", "money", "amount paid|price paid|payment", lo=0, hi=1200),
        C("discount_code", "code", "discount code|promo code|voucher code", null_frac=0.65),
    ), nouns=("attendee/attendees", "sign-up/sign-ups")),
))

RECIPES = Domain("recipe_book", (
    _T("contributors", "contributor", "contributors", "display_name", (8, 12), (
        C("contributor_id", "pk"),
        C("display_name", "person", "name|display name"),
        C("country", "country", "country|home country"),
        C("joined_year", "year", "year joined|joining year", lo=2010, hi=2024),
        C("website", "note", "website|blog|homepage", null_frac=0.5, choices=(
            "cooksblog.example", "homekitchen.example", "spoonful.example", "panandfork.example")),
    ), nouns=("cook/cooks", "author/authors", "chef/chefs")),
    _T("recipes", "recipe", "recipes", "title", (25, 40), (
        C("recipe_id", "pk"),
        C("title", "title", "title|name|recipe name", parts=(V.RECIPE_STYLES, V.RECIPE_BASES)),
        C("contributor_id", "fk", "contributor|author|cook", ref="contributors"),
        C("cuisine", "choice", "cuisine|style of cooking", choices=("Italian", "Thai", "Mexican", "Spanish", "Moroccan", "American")),
        C("prep_minutes", "int", "preparation time in minutes|prep time|preparation time", lo=5, hi=60),
        C("cook_minutes", "int", "cooking time in minutes|cook time|cooking time", lo=0, hi=240),
        C("servings", "int", "servings|number of servings|portions", lo=1, hi=10),
        C("is_vegan", "bool", "are vegan|are suitable for vegans|contain no animal products", neg="are not vegan|contain animal products"),
        C("published_on", "date", "publication date|date published", lo=2015, hi=2024, verbs="were published|were posted"),
    ), nouns=("dish/dishes",),
       derived=(D("total time in minutes|total time|preparation plus cooking time", "prep_minutes", "+", "cook_minutes", "int"),)),
    _T("ingredients", "ingredient", "ingredients", "ingredient_name", (18, 24), (
        C("ingredient_id", "pk"),
        C("ingredient_name", "choice_unique", "name|ingredient name", choices=(
            "flour", "sugar", "butter", "eggs", "milk", "rice", "garlic", "onion", "tomato", "chickpeas", "lentils",
            "tofu", "chicken", "beef", "salmon", "olive oil", "coconut milk", "peanuts", "basil", "cumin", "spinach",
            "lemon", "honey", "cheese")),
        C("food_group", "choice", "food group|category|type", choices=("grain", "dairy", "vegetable", "protein", "spice", "fat")),
        C("calories_per_100g", "int", "calories per 100 grams|calories|energy per 100 g", lo=5, hi=900),
        C("is_allergen", "bool", "are allergens|are common allergens", neg="are not allergens|are not common allergens"),
    )),
    _T("recipe_ingredients", "recipe ingredient", "recipe ingredients", "line_id", (70, 100), (
        C("line_id", "pk"),
        C("recipe_id", "fk", "recipe|dish", ref="recipes"),
        C("ingredient_id", "fk", "ingredient", ref="ingredients"),
        C("quantity_grams", "int", "quantity in grams|amount in grams|quantity", lo=2, hi=800),
    ), nouns=("ingredient line/ingredient lines",)),
))

FARM = Domain("farm_operations", (
    _T("farms", "farm", "farms", "farm_name", (6, 9), (
        C("farm_id", "pk"),
        C("farm_name", "title", "name|farm name", parts=(V.FARM_WORDS, V.TREES)),
        C("region", "choice", "region|area", choices=("Northern Plains", "River Valley", "Coastal", "Highlands")),
        C("area_hectares", "real", "area in hectares|size in hectares|area", lo=12.0, hi=950.0),
        C("is_organic", "bool", "are organic|are certified organic", neg="are not organic|are conventional"),
        C("established_year", "year", "year established|founding year", lo=1890, hi=2015),
    ), nouns=("holding/holdings",)),
    _T("plots", "plot", "plots", "plot_code", (25, 35), (
        C("plot_id", "pk"),
        C("plot_code", "code", "plot code|code"),
        C("farm_id", "fk", "farm", ref="farms"),
        C("soil_type", "choice", "soil type|type of soil|soil", choices=("clay", "loam", "sand", "silt", "peat")),
        C("size_hectares", "real", "size in hectares|area|size", lo=0.5, hi=60.0),
        C("is_irrigated", "bool", "are irrigated|have irrigation", neg="are not irrigated|have no irrigation"),
    ), nouns=("field/fields", "parcel of land/parcels of land")),
    _T("crops", "crop", "crops", "crop_name", (8, 10), (
        C("crop_id", "pk"),
        C("crop_name", "choice_unique", "name|crop name", choices=(
            "wheat", "barley", "maize", "soybeans", "potatoes", "sunflowers", "oats", "canola", "sugar beet", "rye")),
        C("crop_type", "choice", "crop type|type|kind of crop", choices=("cereal", "oilseed", "root", "legume")),
        C("growing_days", "int", "growing season in days|days to maturity|growing days", lo=70, hi=200),
    )),
    _T("harvests", "harvest", "harvests", "harvest_id", (50, 75), (
        C("harvest_id", "pk"),
        C("plot_id", "fk", "plot|field", ref="plots"),
        C("crop_id", "fk", "crop", ref="crops"),
        C("planted_on", "date", "planting date|date planted|sowing date", lo=2021, hi=2024, verbs="were planted|were sown"),
        C("harvested_on", "date", "harvest date|date harvested", lo=2021, hi=2024, null_frac=0.2, verbs="were harvested|were brought in"),
        C("yield_tonnes", "real", "yield in tonnes|yield|tonnes harvested", lo=1.0, hi=420.0, null_frac=0.2),
        C("price_per_tonne", "money", "price per tonne|sale price per tonne", lo=90, hi=620),
    ), nouns=("crop cycle/crop cycles",)),
))

INSURANCE = Domain("insurance_claims", (
    _T("policyholders", "policyholder", "policyholders", "full_name", (25, 40), (
        C("holder_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("date_of_birth", "date", "date of birth|birth date", lo=1945, hi=2004, verbs="were born"),
        C("city", "city", "city|home city"),
        C("email", "email", "email address|email", null_frac=0.2),
    ), nouns=("customer/customers", "client/clients", "insured person/insured people")),
    _T("adjusters", "adjuster", "adjusters", "adjuster_name", (5, 8), (
        C("adjuster_id", "pk"),
        C("adjuster_name", "person", "name|adjuster name"),
        C("region", "choice", "region|territory", choices=("North", "South", "East", "West")),
        C("years_experience", "int", "years of experience|experience", lo=1, hi=30),
    ), nouns=("claims adjuster/claims adjusters", "assessor/assessors")),
    _T("policies", "policy", "policies", "policy_number", (35, 50), (
        C("policy_id", "pk"),
        C("policy_number", "code", "policy number|number"),
        C("holder_id", "fk", "policyholder|customer|holder", ref="policyholders"),
        C("policy_type", "choice", "policy type|type of cover|line of insurance", choices=("auto", "home", "travel", "life", "pet")),
        C("annual_premium", "money", "annual premium|yearly premium|premium", lo=90, hi=4800),
        C("deductible", "money", "deductible|excess", lo=0, hi=2500),
        C("start_date", "date", "start date|inception date", lo=2018, hi=2024, verbs="started|took effect"),
        C("is_active", "bool", "are active|are in force|are still active", neg="are inactive|have lapsed|are no longer active"),
    ), nouns=("contract/contracts", "insurance policy/insurance policies"),
       derived=(D("monthly premium|premium per month", "annual_premium", "/", "12.0", "money"),)),
    _T("claims", "claim", "claims", "claim_id", (45, 70), (
        C("claim_id", "pk"),
        C("policy_id", "fk", "policy", ref="policies"),
        C("adjuster_id", "fk", "adjuster|assessor", ref="adjusters"),
        C("filed_at", "timestamp", "filing time|time filed|submission time", lo=2021, hi=2024, verbs="were filed|were submitted"),
        C("incident_type", "choice", "incident type|type of incident|cause", choices=("collision", "theft", "fire", "water damage", "illness", "storm")),
        C("claimed_amount", "money", "claimed amount|amount claimed|claim amount", lo=150, hi=60_000),
        C("approved_amount", "money", "approved amount|amount approved|payout", lo=100, hi=50_000, null_frac=0.3),
        C("status", "choice", "status|claim status", choices=("open", "approved", "rejected", "under review")),
    ), nouns=("insurance claim/insurance claims",)),
))

JOBS = Domain("job_board", (
    _T("companies", "company", "companies", "company_name", (10, 15), (
        C("company_id", "pk"),
        C("company_name", "title", "name|company name|employer name", parts=(V.COMPANY_PARTS, V.FIRM_SUFFIXES)),
        C("industry", "choice", "industry|sector", choices=("software", "healthcare", "retail", "finance", "manufacturing")),
        C("city", "city", "city|headquarters city|location"),
        C("employee_count", "int", "number of employees|headcount|size", lo=8, hi=25_000),
        C("founded_year", "year", "founding year|year founded", lo=1950, hi=2022),
    ), nouns=("employer/employers", "firm/firms")),
    _T("job_postings", "job posting", "job postings", "job_title", (30, 45), (
        C("posting_id", "pk"),
        C("job_title", "title", "job title|title|role", parts=(V.ROLE_LEVELS, V.ROLES)),
        C("company_id", "fk", "company|employer", ref="companies"),
        C("salary_min", "money", "minimum salary|lowest salary offered|salary floor", lo=28_000, hi=90_000),
        C("salary_max", "money", "maximum salary|highest salary offered|salary ceiling", lo=95_000, hi=220_000),
        C("posted_on", "date", "posting date|date posted", lo=2023, hi=2024, verbs="were posted|went live"),
        C("is_remote", "bool", "are remote|allow remote work|are fully remote", neg="are not remote|are on site|require office work"),
        C("employment_type", "choice", "employment type|contract type", choices=("full-time", "part-time", "contract", "internship")),
    ), nouns=("job/jobs", "opening/openings", "vacancy/vacancies"),
       derived=(D("salary range|pay spread|difference between the maximum and minimum salary", "salary_max", "-", "salary_min", "money"),)),
    _T("applicants", "applicant", "applicants", "full_name", (30, 45), (
        C("applicant_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("email", "email", "email address|email", null_frac=0.1),
        C("years_experience", "int", "years of experience|experience in years|experience", lo=0, hi=25),
        C("city", "city", "city|home city"),
        C("phone_number", "phone", "phone number|phone|contact number", null_frac=0.4),
    ), nouns=("candidate/candidates", "job seeker/job seekers")),
    _T("applications", "application", "applications", "application_id", (60, 90), (
        C("application_id", "pk"),
        C("posting_id", "fk", "job posting|job|posting", ref="job_postings"),
        C("applicant_id", "fk", "applicant|candidate", ref="applicants"),
        C("applied_at", "timestamp", "application time|time applied|submission time", lo=2023, hi=2024, verbs="were submitted|were sent"),
        C("stage", "choice", "stage|hiring stage|status", choices=("applied", "screening", "interview", "offer", "rejected")),
        C("expected_salary", "money", "expected salary|salary expectation|asking salary", lo=30_000, hi=200_000, null_frac=0.35),
    ), nouns=("job application/job applications",)),
))

PODCASTS = Domain("podcast_platform", (
    _T("hosts", "host", "hosts", "host_name", (10, 15), (
        C("host_id", "pk"),
        C("host_name", "person", "name|host name"),
        C("country", "country", "country|home country"),
        C("started_year", "year", "year they started|first year on the platform", lo=2008, hi=2023),
    ), nouns=("presenter/presenters", "creator/creators")),
    _T("podcasts", "podcast", "podcasts", "title", (15, 22), (
        C("podcast_id", "pk"),
        C("title", "title", "title|name|show title", parts=(V.SHOW_WORDS, V.NOUNS)),
        C("host_id", "fk", "host|presenter", ref="hosts"),
        C("category", "choice", "category|genre|topic", choices=("true crime", "comedy", "news", "science", "business", "sports")),
        C("language", "choice", "language", choices=("English", "Spanish", "German", "Portuguese", "Japanese")),
        C("is_explicit", "bool", "are explicit|are marked explicit|contain explicit content", neg="are not explicit|are family friendly|are clean"),
        C("launched_on", "date", "launch date|date launched", lo=2012, hi=2024, verbs="were launched|started"),
    ), nouns=("show/shows", "series/series")),
    _T("episodes", "episode", "episodes", "episode_title", (60, 90), (
        C("episode_id", "pk"),
        C("podcast_id", "fk", "podcast|show", ref="podcasts"),
        C("episode_title", "title", "title|episode title|name", parts=(V.NOUNS, V.EPISODE_WORDS)),
        C("released_at", "timestamp", "release time|publication time|release date", lo=2020, hi=2024, verbs="were released|came out|were published"),
        C("duration_seconds", "int", "duration in seconds|length in seconds|running time in seconds", lo=600, hi=7_200),
        C("download_count", "int", "number of downloads|download count|downloads", lo=50, hi=250_000),
        C("guest_name", "person", "guest name|guest", null_frac=0.5),
    ), nouns=("installment/installments",),
       derived=(D("duration in minutes|length in minutes|running time in minutes", "duration_seconds", "/", "60.0"),)),
    _T("subscriptions", "subscription", "subscriptions", "subscription_id", (60, 90), (
        C("subscription_id", "pk"),
        C("podcast_id", "fk", "podcast|show", ref="podcasts"),
        C("listener_email", "email", "listener email|subscriber email|email"),
        C("subscribed_on", "date", "subscription date|date subscribed", lo=2019, hi=2024, verbs="started|were created"),
        C("plan_tier", "choice", "plan|subscription plan|tier", choices=("free", "supporter", "premium")),
        C("is_cancelled", "bool", "are cancelled|have been cancelled", neg="are not cancelled|are still running|are ongoing"),
    ), nouns=("subscriber/subscribers", "follow/follows")),
))

SCHOOLS = Domain("school_district", (
    _T("schools", "school", "schools", "school_name", (8, 12), (
        C("school_id", "pk"),
        C("school_name", "title", "name|school name", parts=(V.FARM_WORDS, ("Elementary", "Middle School", "High School", "Academy"))),
        C("school_level", "choice", "level|school level|type of school", choices=("elementary", "middle", "high")),
        C("neighborhood", "choice", "neighborhood|area|district area", choices=("Northside", "Riverside", "Downtown", "Westfield", "Eastgate")),
        C("enrollment", "int", "enrollment|number of pupils|student count", lo=180, hi=2_400),
        C("opened_year", "year", "opening year|year it opened", lo=1905, hi=2020),
    ), nouns=("campus/campuses",)),
    _T("staff", "staff member", "staff members", "full_name", (35, 50), (
        C("staff_id", "pk"),
        C("full_name", "person", "name|full name"),
        C("school_id", "fk", "school|campus", ref="schools"),
        C("role", "choice", "role|job|position", choices=("teacher", "counselor", "librarian", "principal", "aide", "nurse")),
        C("start_date", "date", "start date|hire date|date they started", lo=1998, hi=2024, verbs="started|were hired|joined"),
        C("annual_salary", "money", "annual salary|salary|yearly pay", lo=32_000, hi=125_000),
        C("is_full_time", "bool", "are full-time|work full time", neg="are part-time|are not full-time|work part time"),
        C("certification_expiry", "date", "certification expiry date|certificate expiry", lo=2024, hi=2028, null_frac=0.3,
          verbs="have a certification expiring|have certificates that expire"),
    ), nouns=("employee/employees", "educator/educators", "worker/workers")),
    _T("bus_routes", "bus route", "bus routes", "route_code", (8, 12), (
        C("route_id", "pk"),
        C("route_code", "code", "route code|route number|code"),
        C("school_id", "fk", "school|campus", ref="schools"),
        C("stops", "int", "number of stops|stops", lo=4, hi=28),
        C("length_km", "real", "length in kilometers|length|route length", lo=3.0, hi=42.0),
        C("driver_name", "person", "driver name|driver", null_frac=0.2),
    ), nouns=("route/routes",)),
    _T("budget_lines", "budget line", "budget lines", "line_id", (40, 60), (
        C("line_id", "pk"),
        C("school_id", "fk", "school|campus", ref="schools"),
        C("fiscal_year", "year", "fiscal year|budget year|year", lo=2019, hi=2024),
        C("item", "choice", "budget item|item|spending category", choices=("textbooks", "technology", "maintenance", "sports", "arts", "meals")),
        C("budgeted_amount", "money", "budgeted amount|budget|planned spending", lo=2_000, hi=180_000),
        C("spent_amount", "money", "amount spent|spending|actual spending", lo=1_000, hi=190_000),
    ), nouns=("line item/line items", "budget entry/budget entries"),
       derived=(D("overspend|amount over budget|spending minus budget", "spent_amount", "-", "budgeted_amount", "money"),)),
))

MORE_DOMAINS: tuple[Domain, ...] = (HOTEL, VET, SHIPPING, GYM, CONFERENCE, RECIPES, FARM, INSURANCE, JOBS, PODCASTS, SCHOOLS)
