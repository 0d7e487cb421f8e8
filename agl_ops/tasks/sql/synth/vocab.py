"""Word pools for synthetic values: names, places and the parts of titles."""

from __future__ import annotations

__all__ = [
    "FIRST_NAMES", "LAST_NAMES", "CITIES", "COUNTRIES", "NATIONALITIES", "STREETS",
    "ADJECTIVES", "NOUNS", "SUBJECTS", "PRODUCT_ADJ", "PRODUCT_NOUN", "DISH_ADJ", "DISH_BASE",
    "MASCOTS", "CODENAMES", "COMPANY_PARTS", "TRACK_WORDS", "MAIL_DOMAINS", "PET_NAMES", "PLACE_WORDS",
    "FIRM_SUFFIXES", "ROLE_LEVELS", "ROLES", "SHOW_WORDS", "EPISODE_WORDS", "RECIPE_STYLES", "RECIPE_BASES",
    "TALK_OPENERS", "TALK_TOPICS", "FARM_WORDS", "TREES",
]

FIRST_NAMES = (
    "Amelia", "Noah", "Olivia", "Liam", "Sofia", "Mateo", "Hannah", "Ethan", "Chloe", "Lucas", "Grace", "Omar",
    "Priya", "Kenji", "Fatima", "Diego", "Ingrid", "Tomas", "Aisha", "Wei", "Elena", "Samuel", "Nadia", "Victor",
    "Leah", "Arjun", "Marta", "Jonas", "Yuki", "Carlos", "Zoe", "Felix", "Irene", "Hugo", "Mei", "Rafael",
    "Clara", "Ibrahim", "Nora", "Pavel", "Lucia", "Daniel", "Ana", "Malik", "Julia", "Oscar", "Sara", "Tariq",
)
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Okafor", "Novak", "Rossi", "Kim", "Patel", "Johansson", "Silva", "Müller",
    "Dubois", "Tanaka", "Kowalski", "Haddad", "Nguyen", "Moreau", "Brown", "Costa", "Ivanova", "Schmidt",
    "Lopez", "Walker", "Ahmed", "Fischer", "Bianchi", "Sato", "Reyes", "Murphy", "Larsen", "Khan", "Weber",
    "Santos", "Evans", "Hoffman", "Park", "Jensen", "Romero", "Clarke", "Yilmaz", "Nakamura", "Fernandez",
)
CITIES = (
    "Lisbon", "Toronto", "Osaka", "Denver", "Lyon", "Austin", "Krakow", "Melbourne", "Seattle", "Porto",
    "Munich", "Boston", "Nairobi", "Valencia", "Chicago", "Dublin", "Gothenburg", "Atlanta", "Montreal", "Turin",
)
COUNTRIES = (
    "Portugal", "Canada", "Japan", "United States", "France", "Poland", "Australia", "Germany", "Kenya",
    "Spain", "Ireland", "Sweden", "Italy", "Brazil", "India", "Mexico", "Norway", "South Korea",
)
NATIONALITIES = (
    "Portuguese", "Canadian", "Japanese", "American", "French", "Polish", "Australian", "German", "Kenyan",
    "Spanish", "Irish", "Swedish", "Italian", "Brazilian", "Indian", "Mexican",
)
STREETS = (
    "Oak Street", "Maple Avenue", "Harbor Road", "Mill Lane", "Cedar Drive", "Park Place", "River Road",
    "Station Street", "Elm Court", "Hillside Avenue", "Lake View", "Church Street", "King Street", "Bay Road",
)
ADJECTIVES = (
    "Silent", "Golden", "Hidden", "Broken", "Distant", "Crimson", "Midnight", "Endless", "Quiet", "Wild",
    "Forgotten", "Burning", "Frozen", "Paper", "Electric", "Hollow", "Velvet", "Restless", "Northern", "Bitter",
)
NOUNS = (
    "River", "Garden", "Harbor", "Mirror", "Season", "Kingdom", "Signal", "Orchard", "Horizon", "Lantern",
    "Voyage", "Archive", "Meadow", "Engine", "Shadow", "Island", "Compass", "Letter", "Summer", "Machine",
)
SUBJECTS = (
    "Statistics", "Organic Chemistry", "Microeconomics", "Linear Algebra", "World History", "Databases",
    "Cell Biology", "Thermodynamics", "Ethics", "Machine Learning", "Poetry", "Astronomy", "Accounting",
    "Marine Ecology", "Urban Planning", "Cognitive Psychology", "Number Theory", "Film Studies",
)
PRODUCT_ADJ = (
    "Ergonomic", "Wireless", "Compact", "Stainless", "Portable", "Organic", "Bamboo", "Waterproof", "Vintage",
    "Smart", "Ceramic", "Foldable", "Insulated", "Leather", "Cordless",
)
PRODUCT_NOUN = (
    "Desk Chair", "Headphones", "Kettle", "Backpack", "Lamp", "Water Bottle", "Blender", "Notebook",
    "Speaker", "Yoga Mat", "Coffee Grinder", "Toaster", "Wallet", "Drill", "Umbrella", "Monitor Stand",
)
DISH_ADJ = ("Spicy", "Grilled", "Roasted", "Smoked", "Crispy", "Braised", "Creamy", "Lemon", "Garlic", "Sweet Chili")
DISH_BASE = (
    "Chicken", "Tofu Bowl", "Lentil Soup", "Salmon", "Noodles", "Flatbread", "Risotto", "Tacos", "Dumplings",
    "Eggplant", "Pork Belly", "Mushroom Pasta", "Shrimp Curry",
)
MASCOTS = ("Falcons", "Rovers", "United", "Wanderers", "Lions", "Athletic", "Rangers", "City", "Harriers", "Dynamo")
CODENAMES = (
    "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Helix", "Indigo", "Juniper", "Keystone",
    "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Redwood", "Sierra", "Titan",
)
COMPANY_PARTS = ("North", "Blue", "Summit", "Harbor", "Prime", "Urban", "Coastal", "Pioneer", "Keystone", "Evergreen")
TRACK_WORDS = (
    "Love", "Night", "Fire", "Home", "Rain", "Dance", "Heart", "Road", "Light", "Dream", "Gold", "Time",
    "Ocean", "Stars", "Echo", "Morning",
)
MAIL_DOMAINS = ("example.com", "mailbox.org", "inbox.net", "post.io", "fastmail.test", "webmail.co")
PET_NAMES = (
    "Biscuit", "Luna", "Max", "Pepper", "Milo", "Nala", "Rocky", "Daisy", "Oliver", "Coco", "Simba", "Bella",
    "Ziggy", "Maple", "Oreo", "Ginger", "Bruno", "Willow", "Tofu", "Pickles", "Shadow", "Juniper", "Mochi", "Rex",
    "Hazel", "Toby", "Clover", "Loki", "Peanut", "Sasha", "Finn", "Olive", "Bandit", "Poppy", "Mango", "Thor",
)
PLACE_WORDS = ("Harbor", "Grand", "Riverside", "Central", "Park", "Lakeside", "Old Town", "Summit", "Garden", "Royal")
FIRM_SUFFIXES = ("Labs", "Systems", "Group", "Works", "Partners", "Logistics", "Digital", "Foods", "Health", "Energy")
ROLE_LEVELS = ("Junior", "Senior", "Lead", "Principal", "Staff", "Associate")
ROLES = (
    "Data Analyst", "Backend Developer", "Product Designer", "Accountant", "Nurse", "Sales Representative",
    "Marketing Manager", "Mechanical Engineer", "Copywriter", "Recruiter", "Electrician", "Pharmacist",
)
SHOW_WORDS = ("Daily", "Deep", "Late Night", "Weekend", "Curious", "Honest", "Wild", "Tiny", "Open", "Modern")
EPISODE_WORDS = (
    "Origins", "Q&A", "Interview", "Deep Dive", "Recap", "Behind the Scenes", "Listener Mail", "Special",
    "Roundtable", "Live Show", "Myths", "Update",
)
RECIPE_STYLES = ("Easy", "Classic", "One-Pot", "Slow Cooker", "Weeknight", "Rustic", "Spiced", "Summer", "Baked")
RECIPE_BASES = (
    "Lasagna", "Chili", "Banana Bread", "Pad Thai", "Shakshuka", "Paella", "Ramen", "Falafel", "Pancakes",
    "Gnocchi", "Curry", "Pie", "Frittata", "Goulash", "Tagine",
)
TALK_OPENERS = ("Scaling", "Rethinking", "Securing", "Testing", "Debugging", "Measuring", "Designing", "Teaching")
TALK_TOPICS = (
    "Search", "Payments", "Data Pipelines", "Mobile Apps", "Open Source", "Accessibility", "Observability",
    "Small Teams", "Edge Computing", "Robotics", "Climate Models", "Supply Chains",
)
FARM_WORDS = ("Meadow", "Willow", "Stone", "Sunny", "Red Barn", "Green Valley", "Oak Hill", "Clearwater", "Hillcrest")
TREES = ("Acres", "Farm", "Fields", "Ranch", "Orchards", "Homestead")
