"""Local news full of namesakes: paragraphs written for this measurement (not copied from any
corpus) in the way US, UK and Canadian local papers write, where a small town shares its name
with a bigger place or with another small one elsewhere. The state or province is given the
ways local papers give it: a dateline ("PARIS, Tenn. —", "ABERDEEN, S.D. (AP) —"), the county
("Henry County"), nearby towns, the state named once, a university or a road, a wire story
that names the big city bare, and nothing at all (the feed's home region must speak). Some
items name a namesake in passing ("a trip to Paris, France") or a person who bears a town's
name ("Paris Hilton"), which no watch on that town should count.

Each item: (the places it is about, as watch specs; the feed's home regions or {}; title;
text). ``bench.geo_eval`` puts a watch on every place named in any item and reports P/R/F1
per place beside the plain-name baseline (corpus "local news").
"""

from __future__ import annotations

Home = dict[str, float]
TN: Home = {"US-TN": 0.7, "US-KY": 0.2}
NH: Home = {"US-NH": 0.8, "US-MA": 0.1}
WA: Home = {"US-WA": 0.85}
ON: Home = {"CA-08": 0.8}
DE: Home = {"US-DE": 0.7, "US-MD": 0.1}
SCOT: Home = {"GB-SCT": 0.75, "GB-ENG": 0.2}

ITEMS: list[tuple[tuple[str, ...], Home, str, str]] = [
    # Paris: Tennessee, Texas, Kentucky, France
    (
        ("Paris, US-TN",),
        {},
        "PARIS, Tenn. — Fire destroys barn off Highway 79",
        "Firefighters from Puryear and Springville helped the Paris crew, Chief Mark Hill said. "
        "No animals were hurt, and the cause remains under investigation.",
    ),
    (
        ("Paris, US-TN",),
        {},
        "Henry County school board weighs four-day week",
        "Board members meeting Thursday at the central office in Paris heard from parents who "
        "drive children to Big Sandy and Buchanan. A vote is set for next month.",
    ),
    (
        ("Paris, US-TN",),
        TN,
        "Paris police arrest two after Walmart theft",
        "Officers said the pair left the store with electronics worth $1,200 and were stopped "
        "on Mineral Wells Avenue minutes later.",
    ),
    (
        ("Paris, US-TX",),
        {},
        "Paris Junior College names new rodeo coach",
        "The Lamar County college hired Jake Morris, who coached at Clarendon, to lead its "
        "team. He starts in August, the school said.",
    ),
    (
        ("Paris, US-TX",),
        {},
        "PARIS, Texas (AP) — Storms knock out power to thousands",
        "Oncor reported 12,000 customers without power in Lamar and Red River counties after "
        "high winds downed lines along U.S. 82 near Blossom and Clarksville.",
    ),
    (
        ("Paris, US-KY",),
        {},
        "Bourbon County fiscal court approves Paris road plan",
        "Magistrates agreed to repave stretches of U.S. 68 between Paris and Millersburg; "
        "crews from Lexington will do the work in the spring.",
    ),
    (
        ("Paris, US-TN", "Paris, France"),
        TN,
        "Paris students return from trip abroad",
        "Twenty Henry County High School seniors spent a week in Paris, France, visiting the "
        "Louvre and the Eiffel Tower, then flew home to Nashville on Sunday.",
    ),
    (
        ("Paris, France",),
        TN,
        "Paris Olympics: Tennessee swimmer wins bronze",
        "A former University of Tennessee swimmer took bronze in the 200-meter butterfly at "
        "the La Defense Arena near Paris on Tuesday, her coach in Knoxville said.",
    ),
    (
        ("Paris, France",),
        {},
        "French police clear protest camp in Paris",
        "Officers removed tents along the Seine early Wednesday; the interior ministry said "
        "300 people were offered shelter in Lyon and Marseille.",
    ),
    (
        (),
        TN,
        "Paris Hilton to host charity gala in Nashville",
        "The hotel heiress will appear at the Music City Center event, organisers said; "
        "tickets start at $250.",
    ),
    # Palmyra: New York, Pennsylvania, Virginia, Syria
    (
        ("Palmyra, US-NY",),
        {},
        "PALMYRA, N.Y. — Canal museum reopens after repairs",
        "The Erie Canal museum on Market Street welcomed visitors again Saturday; the Wayne "
        "County historian said the repairs cost $80,000.",
    ),
    (
        ("Palmyra, US-NY",),
        {},
        "Palmyra-Macedon school budget passes",
        "Voters approved the $45 million budget 612-280; the district also serves families "
        "in Marion and Walworth.",
    ),
    (
        ("Palmyra, US-PA",),
        {},
        "Palmyra borough council tables sidewalk ordinance",
        "Residents of Lebanon County's second-largest borough complained about costs; "
        "neighbors in Annville and Hershey have similar rules.",
    ),
    (
        ("Palmyra, US-VA",),
        {},
        "Fluvanna supervisors meet in Palmyra on broadband plan",
        "The county board heard from a Charlottesville firm that would wire homes near Lake "
        "Monticello and Scottsville by 2026.",
    ),
    (
        ("Palmyra",),
        {},
        "Islamic State fighters pushed out of Palmyra",
        "Syrian government forces backed by Russian jets retook the desert city, the "
        "Damascus government said; the ancient ruins near Homs were badly damaged.",
    ),
    # London: Ontario, England
    (
        ("London, Canada",),
        {},
        "LONDON, Ont. — Western University expands medical school",
        "The school will add 40 seats; Fanshawe College and hospitals in St. Thomas and "
        "Strathroy will host placements.",
    ),
    (
        ("London, Canada",),
        ON,
        "London council approves bus rapid transit route",
        "Councillors voted 10-5 for the line along Richmond Street and Wellington Road; "
        "Middlesex County will build the park-and-ride.",
    ),
    (
        ("London, GB",),
        {},
        "Heathrow flights cancelled as fog blankets London",
        "British Airways cancelled 80 flights; Gatwick said delays would continue until "
        "the afternoon.",
    ),
    (
        ("London, Canada", "London, GB"),
        ON,
        "London mayor meets his namesake's counterpart",
        "The mayor of London, Ont., visited City Hall in London, England, this week to talk "
        "about transit, his office said.",
    ),
    # Springfield: Illinois, Missouri, Massachusetts
    (
        ("Springfield, US-IL",),
        {},
        "SPRINGFIELD, Ill. (AP) — Pritzker signs budget",
        "The governor signed the $53 billion plan at the Capitol; Republicans from Chatham "
        "and Decatur voted no.",
    ),
    (
        ("Springfield, US-MO",),
        {},
        "Missouri State breaks ground on Springfield arena",
        "The university's Greene County project will seat 8,000; fans from Nixa and Ozark "
        "have waited years.",
    ),
    (
        ("Springfield, US-MA",),
        {},
        "Springfield police investigate Main Street shooting",
        "Hampden County prosecutors said the victim was taken to Baystate Medical Center; "
        "officers from Chicopee and West Springfield helped.",
    ),
    (
        ("Springfield, US-MA",),
        {"US-MA": 0.8},
        "Springfield school committee adopts new calendar",
        "Parents asked for a later start; the committee agreed after a three-hour meeting.",
    ),
    # Aberdeen: Washington, South Dakota, Scotland
    (
        ("Aberdeen, US-WA",),
        {},
        "Grays Harbor flood warning issued for Aberdeen",
        "The Chehalis and Wishkah rivers could top their banks Tuesday; Hoquiam and "
        "Montesano residents should move cars, the county said.",
    ),
    (
        ("Aberdeen, US-WA",),
        WA,
        "Aberdeen council approves homeless shelter site",
        "The vote was 7-4 after two hours of public comment; the shelter opens in March.",
    ),
    (
        ("Aberdeen, US-SD",),
        {},
        "ABERDEEN, S.D. (AP) — Northern State wins conference title",
        "The Wolves beat Minot State 78-70 before 4,000 fans; Brown County deputies "
        "directed traffic afterward.",
    ),
    (
        ("Aberdeen, GB",),
        {},
        "Aberdeen oil jobs fall again",
        "North Sea operators cut 900 posts this year, Aberdeenshire council said; "
        "Robert Gordon University is retraining engineers.",
    ),
    (
        ("Aberdeen, GB",),
        SCOT,
        "Aberdeen harbour extension opens",
        "Cruise ships will berth at the new south quay from May, the harbour board said.",
    ),
    # Birmingham: Alabama, England
    (
        ("Birmingham, US-AL",),
        {},
        "UAB hospital adds trauma beds in Birmingham",
        "The Jefferson County hospital will add 50 beds; patients from Hoover and Bessemer "
        "now wait hours.",
    ),
    (
        ("Birmingham, GB",),
        {},
        "Birmingham bin strike enters third month",
        "Rubbish piled up in Sparkhill and Small Heath; union leaders met council officials "
        "in Solihull.",
    ),
    # Manchester: New Hampshire, England
    (
        ("Manchester, US-NH",),
        {},
        "MANCHESTER, N.H. — Candidates court voters at diner",
        "Hillsborough County Democrats packed the diner on Elm Street a week before the "
        "primary; Nashua voters heard the same pitch Monday.",
    ),
    (
        ("Manchester, US-NH",),
        NH,
        "Manchester aldermen back new downtown parking garage",
        "The board voted 9-5; construction starts in the fall, the mayor said.",
    ),
    (
        ("Manchester, GB",),
        {},
        "Manchester United fans protest owners",
        "Thousands marched from the city centre to Old Trafford; Greater Manchester Police "
        "made four arrests.",
    ),
    # Perth: Western Australia, Scotland
    (
        ("Perth, GB",),
        SCOT,
        "Perth city hall to become arts centre",
        "The £20 million plan was approved by the council on Wednesday; work starts in June.",
    ),
    (
        ("Perth, Australia",),
        {},
        "Perth water restrictions eased after wet winter",
        "Western Australia's water minister said dams near Fremantle and Mandurah were "
        "60 per cent full.",
    ),
    # Athens: Georgia, Ohio, Greece
    (
        ("Athens, US-GA",),
        {},
        "UGA to build new dorm on Athens campus",
        "The University of Georgia will house 800 students; Clarke County commissioners "
        "approved the road changes, and Watkinsville residents worry about traffic.",
    ),
    (
        ("Athens, US-OH",),
        {},
        "Ohio University enrollment dips in Athens",
        "The Athens County school reported 300 fewer freshmen; Nelsonville and Logan "
        "campuses grew slightly.",
    ),
    (
        ("Athens, US-OH",),
        {},
        "ATHENS, Ohio — U.S. 33 bypass reopens after slide",
        "ODOT crews cleared the hillside in two days, a spokeswoman said.",
    ),
    (
        ("Athens, Greece",),
        {},
        "Athens tourists face heat closure at Acropolis",
        "Greek officials shut the site at noon as temperatures reached 43C.",
    ),
    # Cambridge: Massachusetts, England
    (
        ("Cambridge, US-MA",),
        {},
        "MIT researchers open Cambridge lab",
        "The institute's new building near Kendall Square will house 200 scientists; "
        "Somerville and Boston officials attended.",
    ),
    (
        ("Cambridge, GB",),
        {},
        "Cambridge rail station gets new platform",
        "Network Rail said trains to Ely and Peterborough would stop at the new platform.",
    ),
    # Dover: Delaware, Kent (England), New Hampshire
    (
        ("Dover, US-DE",),
        {},
        "DOVER, Del. (AP) — Lawmakers pass marijuana bill",
        "The Delaware Senate voted 15-6; the governor has not said whether he will sign it.",
    ),
    (
        ("Dover, US-DE",),
        DE,
        "Dover Air Force Base hosts open house",
        "Families from Smyrna and Camden toured the C-5 hangar, base officials said.",
    ),
    (
        ("Dover, GB",),
        {},
        "Lorry queues stretch from Dover port",
        "Kent Police said drivers faced 12-hour waits on the M20; Folkestone and Canterbury "
        "roads were also jammed.",
    ),
    (
        ("Dover, US-NH",),
        {},
        "Dover council approves Cocheco River trail",
        "The Strafford County city will link the trail to Somersworth and Rochester by 2027.",
    ),
    # Richmond: Virginia, British Columbia, London
    (
        ("Richmond, US-VA",),
        {},
        "VCU Health opens new tower in Richmond",
        "The hospital will serve patients from Henrico and Chesterfield counties; "
        "Petersburg clinics will send referrals.",
    ),
    (
        ("Richmond, Canada",),
        {},
        "Richmond, B.C., council backs new SkyTrain station",
        "The station near the Vancouver airport would serve 20,000 riders a day; Delta "
        "and Burnaby officials support it.",
    ),
    (
        ("Richmond, GB",),
        {},
        "Richmond market square to lose parking",
        "North Yorkshire council said the cobbled square would be pedestrianised; traders "
        "from Catterick Garrison and Darlington objected at the meeting in Richmond.",
    ),
]
