"""The tickers, subreddits and words the generator writes about.

Real US-listed symbols (so any shipped universe knows them) with their company names, split
into popularity tiers that give the long tail; the all-caps words Reddit uses that are not
(or are only ambiguously) tickers; and the subreddits with their relative sizes.
"""

# Always in the conversation: index ETFs and the retail favourites.
MEGA = (
    "SPY:SPDR S&P 500,TSLA:Tesla,NVDA:Nvidia,AAPL:Apple,AMD:AMD,GME:GameStop,PLTR:Palantir,"
    "QQQ:Invesco QQQ,MSFT:Microsoft,AMZN:Amazon,META:Meta,AMC:AMC Entertainment"
)
# Popular: discussed every day, in bursts when there is news.
POPULAR = (
    "GOOGL:Alphabet,SOFI:SoFi,NFLX:Netflix,INTC:Intel,MU:Micron,COIN:Coinbase,HOOD:Robinhood,"
    "BABA:Alibaba,DIS:Disney,BA:Boeing,F:Ford,RIVN:Rivian,LCID:Lucid,NIO:NIO,MSTR:MicroStrategy,"
    "SMCI:Super Micro,ARM:Arm Holdings,AVGO:Broadcom,TSM:TSMC,UBER:Uber,JPM:JPMorgan,"
    "BAC:Bank of America,XOM:Exxon,WMT:Walmart,COST:Costco,PYPL:PayPal,SNOW:Snowflake,"
    "SHOP:Shopify,RBLX:Roblox,DKNG:DraftKings,CVNA:Carvana,RDDT:Reddit,IWM:iShares Russell 2000,"
    "TLT:iShares 20+ Year Treasury,SQQQ:ProShares UltraPro Short QQQ,TQQQ:ProShares UltraPro QQQ"
)
# The long tail: real companies that come up now and then.
TAIL = (
    "CRM:Salesforce,ORCL:Oracle,ADBE:Adobe,QCOM:Qualcomm,TXN:Texas Instruments,AMAT:Applied Materials,"
    "LRCX:Lam Research,KLAC:KLA,MRVL:Marvell,PANW:Palo Alto Networks,CRWD:CrowdStrike,ZS:Zscaler,"
    "DDOG:Datadog,NET:Cloudflare,MDB:MongoDB,TEAM:Atlassian,WDAY:Workday,ZM:Zoom,DOCU:DocuSign,"
    "TWLO:Twilio,OKTA:Okta,U:Unity,PATH:UiPath,AFRM:Affirm,UPST:Upstart,XYZ:Block,PINS:Pinterest,"
    "SNAP:Snap,SPOT:Spotify,ROKU:Roku,ETSY:Etsy,EBAY:eBay,ABNB:Airbnb,DASH:DoorDash,LYFT:Lyft,"
    "CHWY:Chewy,W:Wayfair,PTON:Peloton,GPRO:GoPro,BBY:Best Buy,TGT:Target,HD:Home Depot,"
    "NKE:Nike,SBUX:Starbucks,MCD:McDonald's,CMG:Chipotle,KO:Coca-Cola,PEP:PepsiCo,PG:Procter & Gamble,"
    "JNJ:Johnson & Johnson,PFE:Pfizer,MRNA:Moderna,BNTX:BioNTech,LLY:Eli Lilly,NVO:Novo Nordisk,"
    "ABBV:AbbVie,MRK:Merck,BMY:Bristol-Myers,GILD:Gilead,AMGN:Amgen,VRTX:Vertex,REGN:Regeneron,"
    "BIIB:Biogen,CVS:CVS Health,UNH:UnitedHealth,HUM:Humana,CI:Cigna,TDOC:Teladoc,HIMS:Hims & Hers,"
    "GS:Goldman Sachs,MS:Morgan Stanley,C:Citigroup,WFC:Wells Fargo,SCHW:Charles Schwab,"
    "V:Visa,MA:Mastercard,AXP:American Express,BRK.B:Berkshire Hathaway,BLK:BlackRock,"
    "CVX:Chevron,OXY:Occidental,COP:ConocoPhillips,SLB:Schlumberger,HAL:Halliburton,DVN:Devon Energy,"
    "CAT:Caterpillar,DE:Deere,GE:GE Aerospace,HON:Honeywell,LMT:Lockheed Martin,RTX:RTX,NOC:Northrop,"
    "GD:General Dynamics,UPS:UPS,FDX:FedEx,DAL:Delta,UAL:United Airlines,AAL:American Airlines,"
    "LUV:Southwest,CCL:Carnival,RCL:Royal Caribbean,NCLH:Norwegian Cruise,MAR:Marriott,"
    "T:AT&T,VZ:Verizon,TMUS:T-Mobile,CMCSA:Comcast,WBD:Warner Bros Discovery,PARA:Paramount,"
    "GM:General Motors,STLA:Stellantis,TM:Toyota,XPEV:XPeng,LI:Li Auto,MVIS:MicroVision,GEVO:Gevo,"
    "PLUG:Plug Power,FCEL:FuelCell,ENPH:Enphase,SEDG:SolarEdge,FSLR:First Solar,RUN:Sunrun,"
    "CHPT:ChargePoint,QS:QuantumScape,BLNK:Blink Charging,SPCE:Virgin Galactic,RKLB:Rocket Lab,"
    "ASTS:AST SpaceMobile,JOBY:Joby Aviation,ACHR:Archer Aviation,IONQ:IonQ,RGTI:Rigetti,"
    "QBTS:D-Wave,SOUN:SoundHound,BBAI:BigBear.ai,TTD:The Trade Desk,APP:AppLovin,CELH:Celsius,"
    "ELF:e.l.f. Beauty,ONON:On Holding,DECK:Deckers,LULU:Lululemon,CROX:Crocs,BYND:Beyond Meat,"
    "OPEN:Opendoor,Z:Zillow,FUBO:FuboTV,RKT:Rocket Companies,UWMC:UWM Holdings,MARA:Marathon Digital,"
    "RIOT:Riot Platforms,CLSK:CleanSpark,HUT:Hut 8,NNDM:Nano Dimension,SNDL:SNDL,TLRY:Tilray,CGC:Canopy Growth,"
    "ACB:Aurora Cannabis,CLOV:Clover Health,WKHS:Workhorse,SIRI:Sirius XM,NOK:Nokia,BB:BlackBerry,"
    "KOSS:Koss,BNGO:Bionano,CTRM:Castor Maritime,SPWR:SunPower,AMRN:Amarin,OCGN:Ocugen,NVAX:Novavax,"
    "SENS:Senseonics,CRSP:CRISPR Therapeutics,EDIT:Editas,NTLA:Intellia,BEAM:Beam Therapeutics,"
    "ARKK:ARK Innovation,SOXL:Direxion Semiconductor Bull,UVXY:ProShares Ultra VIX,GLD:SPDR Gold,"
    "SLV:iShares Silver,USO:United States Oil Fund,XLE:Energy Select SPDR,XLF:Financial Select SPDR,"
    "VOO:Vanguard S&P 500,VTI:Vanguard Total Stock Market,SCHD:Schwab US Dividend,JEPI:JPMorgan Equity Premium,"
    "O:Realty Income,MAIN:Main Street Capital,ARCC:Ares Capital,STAG:STAG Industrial,"
    "KHC:Kraft Heinz,GIS:General Mills,HSY:Hershey,MO:Altria,PM:Philip Morris,"
    "ALL:Allstate,IT:Gartner,ON:ON Semiconductor,GO:Grocery Outlet,DD:DuPont,NOW:ServiceNow,"
    "AI:C3.ai,SO:Southern Company,BE:Bloom Energy,HAS:Hasbro,LOW:Lowe's,A:Agilent"
)
# Organic breakouts and the late viral spike happen to these: real, unambiguous, quiet.
BREAKOUT_POOL = (
    "CELH,IONQ,RKLB,ASTS,SOUN,HIMS,APP,ACHR,JOBY,QBTS,RGTI,BBAI,CRSP,NTLA,BEAM,UPST,AFRM,"
    "ONON,ELF,DECK,CROX,ENPH,FSLR,SEDG,CHWY,ETSY,PATH,TWLO,OKTA,DOCU,ROKU,PINS,CLSK,HUT,TTD,MDB"
)
# Pump campaigns target small caps and meme names.
PUMP_POOL = "SNDL,CLOV,WKHS,KOSS,OCGN,NVAX,SENS,BLNK,FCEL,CHPT,SPCE,GPRO,BYND,CGC,ACB,MVIS,AMRN,TLRY,UWMC,CTRM"
# The ticker that is merely always popular (labelled so it is checked, never alerted).
ALWAYS_POPULAR_POOL = "SPY,TSLA,NVDA"

# All-caps words Reddit writes that are not tickers here, or only ambiguously.
NOISE_WORDS = (
    "IT",
    "ALL",
    "DD",
    "YOLO",
    "CEO",
    "ON",
    "GO",
    "ATH",
    "IMO",
    "FOMO",
    "USA",
    "EPS",
    "GDP",
    "FED",
    "CPI",
    "SEC",
    "IPO",
    "ETF",
    "CFO",
    "AI",
    "EV",
    "PM",
    "OR",
    "NOW",
    "BIG",
    "FOR",
    "ARE",
    "CAN",
    "SO",
    "BE",
    "HAS",
    "DTE",
    "OTM",
    "ITM",
    "IV",
    "PE",
    "TA",
    "FD",
    "WSB",
    "LOL",
    "EDIT",
    "TLDR",
    "USD",
    "NYSE",
    "OPEN",
    "REAL",
    "LOW",
    "MOON",
    "HODL",
    "BTFD",
    "RIP",
    "OMG",
    "WTF",
    "JPOW",
    "FUD",
)

# Subreddit -> relative activity, and how "trading-day" shaped its week is.
SUBREDDITS: dict[str, float] = {
    "wallstreetbets": 1.0,
    "stocks": 0.45,
    "investing": 0.3,
    "StockMarket": 0.25,
    "pennystocks": 0.2,
    "Daytrading": 0.12,
    "options": 0.12,
}


def _pairs(table: str) -> list[tuple[str, str]]:
    out = []
    for entry in table.split(","):
        symbol, _, name = entry.partition(":")
        out.append((symbol.strip(), name.strip()))
    return out


def tiers() -> dict[str, list[tuple[str, str]]]:
    """The tickers by popularity tier, each as (symbol, company name)."""
    return {"mega": _pairs(MEGA), "popular": _pairs(POPULAR), "tail": _pairs(TAIL)}


def pool(table: str) -> list[str]:
    return [s.strip() for s in table.split(",") if s.strip()]
