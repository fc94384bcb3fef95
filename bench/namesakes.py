"""Namesakes: places that share a name, each with short local-news items written for this
measurement (not taken from any corpus), the way papers in each place write about it: a
local paper names its county, its neighbours or its state; a wire story qualifies the town
("Paris, Tenn."); world news names the big city bare. A watch on every place; an item counts
for the place it was written about. ``bench.geo_eval`` reports it beside the dev corpora.
"""

from __future__ import annotations

# (location spec of the place the item is about, title, text)
ITEMS: list[tuple[str, str, str]] = [
    # Paris
    (
        "Paris, France",
        "Louvre closes for a day as staff strike",
        "Visitors queued outside the museum in central Paris on Monday as unions met the "
        "culture ministry.",
    ),
    (
        "Paris, France",
        "Paris marathon draws record field",
        "More than 50,000 runners crossed the Seine bridges, city hall said.",
    ),
    (
        "Paris, US-TN",
        "Henry County commission approves new jail budget",
        "Commissioners meeting in Paris on Tuesday voted 9-3 for the plan; the sheriff said "
        "the Tennessee inspectors had asked for more space.",
    ),
    (
        "Paris, US-TN",
        "PARIS, Tenn. (AP) — Two men charged after chase",
        "Police said the chase began near the lake and ended on the highway.",
    ),
    (
        "Paris, US-TX",
        "Lamar County fair opens in Paris",
        "Organisers expect 20,000 visitors this week, the Texas agriculture extension said.",
    ),
    (
        "Paris, US-TX",
        "Paris, Texas, school board picks new superintendent",
        "Trustees chose a candidate from Sulphur Springs after a six-month search.",
    ),
    (
        "Paris, US-KY",
        "Bourbon County distillery expands in Paris",
        "The Kentucky company will add 40 jobs, the Lexington office of the state said.",
    ),
    # Palmyra
    (
        "Palmyra",
        "Militants damage more ruins in Palmyra",
        "Syrian state media said the Roman theatre had been hit; Homs officials confirmed it.",
    ),
    (
        "Palmyra, US-NY",
        "Palmyra village board approves water rate increase",
        "Wayne County officials said the increase would start in June; Rochester engineers "
        "reviewed the plant.",
    ),
    (
        "Palmyra, US-PA",
        "Palmyra borough police add two officers",
        "The Lebanon County department will patrol near Hershey during the summer.",
    ),
    # London
    (
        "London, GB",
        "London Underground strike called off",
        "Transport for London said services on the Tube would run normally on Thursday.",
    ),
    (
        "London, GB",
        "Heatwave in London breaks record",
        "The Met Office said temperatures in the British capital reached 38C.",
    ),
    (
        "London, Canada",
        "Western University students return to London",
        "The Ontario city expects 40,000 students this fall, council said.",
    ),
    (
        "London, Canada",
        "London police investigate break-ins",
        "Officers in the southwestern Ontario city said three homes were entered overnight.",
    ),
    # Cambridge
    (
        "Cambridge, GB",
        "Cambridge college opens new library",
        "The university said students from across England would use it; Cambridgeshire "
        "council approved the plans.",
    ),
    (
        "Cambridge, US-MA",
        "Cambridge council votes on bike lanes",
        "The Massachusetts city will add lanes near Harvard Square and Somerville.",
    ),
    # Ipswich
    (
        "Ipswich, GB",
        "Ipswich Town fans celebrate promotion",
        "Thousands gathered in the Suffolk town centre on Sunday.",
    ),
    (
        "Ipswich, Australia",
        "Floods cut roads around Ipswich",
        "Queensland emergency crews closed roads between Ipswich and Brisbane overnight.",
    ),
    # Perth
    (
        "Perth, Australia",
        "Perth records its hottest December day",
        "Western Australia's capital reached 44C, forecasters said.",
    ),
    (
        "Perth, GB",
        "Perth city centre to get new concert hall",
        "Scotland's arts body and Perth and Kinross council will share the cost; Dundee "
        "and Stirling bids were turned down.",
    ),
    # Birmingham
    (
        "Birmingham, GB",
        "Birmingham council declares itself bankrupt",
        "The West Midlands authority, the largest local council in England, said it could "
        "not balance its books.",
    ),
    (
        "Birmingham, US-AL",
        "Birmingham schools to close early for storms",
        "Alabama forecasters warned of tornadoes across Jefferson County and Tuscaloosa.",
    ),
    # Manchester
    (
        "Manchester, GB",
        "Manchester tram line extended to the airport",
        "Greater Manchester's mayor said the line would open next spring; Salford and "
        "Stockport will follow.",
    ),
    (
        "Manchester, US-NH",
        "Manchester police arrest suspect in robbery",
        "The New Hampshire city's officers said the man was found in Nashua.",
    ),
    # Portland
    (
        "Portland, US-OR",
        "Portland light rail line to reopen",
        "TriMet said trains between Gresham and Beaverton would run again; Oregon officials "
        "approved the repairs.",
    ),
    (
        "Portland, US-ME",
        "Portland ferry terminal gets new dock",
        "Maine officials said the work would be done before summer; South Portland and "
        "Falmouth crews helped.",
    ),
    # Springfield
    (
        "Springfield, US-IL",
        "Lawmakers return to Springfield for veto session",
        "Illinois legislators will take up the budget bill; Chicago Democrats oppose it.",
    ),
    (
        "Springfield, US-MA",
        "Springfield casino revenue rises",
        "The Massachusetts Gaming Commission said the Hampden County resort drew more "
        "visitors from Hartford and Holyoke.",
    ),
    (
        "Springfield, US-MO",
        "Springfield school board approves new calendar",
        "Greene County parents had asked for a later start; Missouri officials agreed.",
    ),
    # Columbus
    (
        "Columbus, US-OH",
        "Columbus council approves new stadium deal",
        "The Ohio State University will share the site; Franklin County commissioners also voted.",
    ),
    (
        "Columbus, US-GA",
        "Columbus, Ga., police investigate shooting",
        "Officers said the victim was taken to a hospital near Fort Moore.",
    ),
    # Athens
    (
        "Athens, Greece",
        "Athens protesters march on parliament",
        "Greek unions said 20,000 people joined; police closed Syntagma Square.",
    ),
    (
        "Athens, US-GA",
        "Athens-Clarke County approves downtown plan",
        "University of Georgia students will get new housing, Athens officials said.",
    ),
    # Tripoli
    (
        "Tripoli, Libya",
        "Clashes erupt in Tripoli between rival militias",
        "Libyan officials said the airport was closed; Misrata forces moved west.",
    ),
    (
        "Tripoli, Lebanon",
        "Army deploys in Tripoli after clashes",
        "Lebanese soldiers took up positions in the northern city, the army said.",
    ),
    (
        "Tripoli, Libya",
        "اشتباكات في طرابلس بين ميليشيات متنافسة",
        "قال مسؤولون ليبيون إن مطار معيتيقة أُغلق.",
    ),
    (
        "Tripoli, Lebanon",
        "انتشار الجيش في طرابلس بعد الاشتباكات",
        "قال الجيش اللبناني إن وحداته انتشرت في المدينة الشمالية.",
    ),
    # Windsor
    (
        "Windsor, Canada",
        "Windsor auto plant adds a shift",
        "The Ontario plant across the river from Detroit will hire 800 workers.",
    ),
    (
        "Windsor, GB",
        "Crowds gather in Windsor for royal wedding",
        "Berkshire police said 100,000 people lined the streets near the castle.",
    ),
    # Halifax
    (
        "Halifax, Canada",
        "Halifax harbour bridge closes for repairs",
        "Nova Scotia officials said traffic would go through Dartmouth for a week.",
    ),
    (
        "Halifax, GB",
        "Halifax town hall restoration begins",
        "Calderdale council said the West Yorkshire building would reopen next year.",
    ),
    # Kingston
    (
        "Kingston, Jamaica",
        "Kingston businesses count cost of curfew",
        "Jamaican police said the curfew in parts of the capital would end on Friday.",
    ),
    (
        "Kingston, Canada",
        "Kingston penitentiary tours sell out",
        "The Ontario city's tourism office said visitors came from Ottawa and Toronto.",
    ),
    # Richmond
    (
        "Richmond, US-VA",
        "Richmond school board names new superintendent",
        "Virginia education officials praised the choice; Henrico County will share a program.",
    ),
    (
        "Richmond, Canada",
        "Richmond approves new housing near the airport",
        "The British Columbia city near Vancouver will add 2,000 homes.",
    ),
    # Hamilton
    (
        "Hamilton, Canada",
        "Hamilton steel mill to cut jobs",
        "The Ontario plant near Burlington will lay off 300 workers.",
    ),
    (
        "Hamilton, New Zealand",
        "Hamilton hosts national dairy show",
        "Waikato farmers brought cattle from Cambridge and Te Awamutu.",
    ),
    # Boston
    (
        "Boston, US-MA",
        "Boston marathon route changes announced",
        "Massachusetts officials said runners would finish near Copley Square.",
    ),
    (
        "Boston, GB",
        "Boston market traders protest parking plan",
        "Lincolnshire council said the town's Wednesday market would stay.",
    ),
    # Newport
    (
        "Newport, US-RI",
        "Newport jazz festival sells out",
        "Rhode Island police expect heavy traffic on the bridge from Jamestown.",
    ),
    (
        "Newport, GB",
        "Newport council approves new bridge over the Usk",
        "Welsh ministers will fund half; Cardiff engineers will design it.",
    ),
]
