/**
 * Plain-English word lists the parser needs whatever the runbooks say: contractions, function words,
 * the words around a request ("can you", "pls"), and common words that must never be read as a typo
 * of a keyword ("lots" is not "logs", "stale" is not "scale"). Runbook- and catalog-specific words
 * come from runbooks/*.yml and the config, never from here.
 */

const words = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

/** Chat spellings and contractions, expanded before anything else looks at the words. */
export const EXPANSIONS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries({
    "don't": ["do", "not"],
    dont: ["do", "not"],
    "doesn't": ["does", "not"],
    doesnt: ["does", "not"],
    "didn't": ["did", "not"],
    didnt: ["did", "not"],
    "won't": ["will", "not"],
    wont: ["will", "not"],
    "can't": ["can", "not"],
    cant: ["can", "not"],
    cannot: ["can", "not"],
    "isn't": ["is", "not"],
    isnt: ["is", "not"],
    "aren't": ["are", "not"],
    arent: ["are", "not"],
    "wasn't": ["was", "not"],
    wasnt: ["was", "not"],
    "weren't": ["were", "not"],
    "shouldn't": ["should", "not"],
    shouldnt: ["should", "not"],
    "couldn't": ["could", "not"],
    "wouldn't": ["would", "not"],
    "haven't": ["have", "not"],
    "hasn't": ["has", "not"],
    "what's": ["what", "is"],
    whats: ["what", "is"],
    "how's": ["how", "is"],
    hows: ["how", "is"],
    "where's": ["where", "is"],
    "who's": ["who", "is"],
    whos: ["who", "is"],
    "that's": ["that", "is"],
    thats: ["that", "is"],
    "it's": ["it", "is"],
    "there's": ["there", "is"],
    "here's": ["here", "is"],
    "why's": ["why", "is"],
    "let's": ["lets"],
    "i'm": ["i", "am"],
    im: ["i", "am"],
    "i'll": ["i", "will"],
    "we'll": ["we", "will"],
    "you'll": ["you", "will"],
    "they'll": ["they", "will"],
    "he'll": ["he", "will"],
    "she'll": ["she", "will"],
    "i've": ["i", "have"],
    "we've": ["we", "have"],
    "you've": ["you", "have"],
    "i'd": ["i", "would"],
    "we'd": ["we", "would"],
    "we're": ["we", "are"],
    "you're": ["you", "are"],
    "they're": ["they", "are"],
    "he's": ["he", "is"],
    "she's": ["she", "is"],
    u: ["you"],
    ya: ["you"],
    ur: ["your"],
    pls: ["please"],
    plz: ["please"],
    plis: ["please"],
    pleas: ["please"],
    pleeease: ["please"],
    thx: ["thanks"],
    thanx: ["thanks"],
    ty: ["thanks"],
    tyvm: ["thanks"],
    tysm: ["thanks"],
    thank: ["thanks"],
    gonna: ["going", "to"],
    wanna: ["want", "to"],
    gotta: ["got", "to"],
    lemme: ["let", "me"],
    gimme: ["give", "me"],
    rn: ["now"],
    asap: ["now"],
    "w/": ["with"],
    vs: ["vs"],
    "vs.": ["vs"],
    versus: ["vs"],
    b4: ["before"],
    "y'all": ["you"],
    yall: ["you"],
    "ain't": ["is", "not"],
  }),
);

/** Words that carry no content: articles, pronouns, prepositions, auxiliaries, politeness, fillers. */
/** Words after which a verb's "-ing" form asks for it politely: "mind bouncing the workers in prod?". */
export const GERUND_REQUESTS = words("mind");

/** Counts written as words: "scale api to three", "two more replicas", "ten percent". */
export const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  `zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
   eighteen nineteen twenty`
    .split(/\s+/)
    .map((word, n) => [word, n] as const)
    .concat([
      ["thirty", 30],
      ["forty", 40],
      ["fifty", 50],
      ["hundred", 100],
    ]),
);

export const FUNCTION_WORDS = words(`
  a an the this that these those some any all every each both either neither no
  i me my mine we us our ours you your yours he him his she her it its they them their there here
  is am are was were be been being do does did done have has had having will would shall should can could may might must
  to of in on at by for from with without into onto over under about as than then so and or but nor if
  not just only also too very really quite pretty super still yet already again now today tonight right
  please thanks kindly quick quickly real asap soon ok okay okey alright sure yes yep yeah yup hey hi hello yo
  lets let go going ahead need needs want wants like would could get got give me up down out off
  what which who whom whose when where why how well oh ah hmm um uh
  one thing things stuff bit little lot lots much many more most less least few
  env environment environments service services app apps application please thanks
  bot opsbot opsroom team folks everyone anyone someone somebody anybody guys all
  for the real
`);

/** Words that open a request to the bot; skipped when finding the command's first word. */
export const REQUEST_WORDS = words(`
  please kindly can could would will you ya pls hey hi hello yo ok okay okey alright so just now quick quickly
  bot opsbot opsroom go ahead and then also lets let us me i need want to id like gonna
  someone somebody anyone anybody folks team guys all sir real quickly asap right away actually
  lgtm cool great nice awesome perfect sure yes yep yeah thanks gradually slowly carefully
`);

/** Request openers that end in a modal and a subject: "can you", "could someone", "can we". */
export const REQUEST_MODALS = words("can could would will");
export const REQUEST_SUBJECTS = words("you someone somebody anyone anybody we i");

/** "should we …", "maybe we …": talk about whether to act, not a request to act. */
export const DELIBERATIVE = words(`should shall maybe perhaps wonder whether might probably think thinking considering consider idea`);

/** Words that, before a verb in the same clause, mean "do not": "don't deploy", "no need to restart". */
export const NEGATIONS = words(`not never nobody noone no stop avoid hold skip without wait cancel dont`);

/** Subordinators: a verb after them describes a condition or a time, not a request. */
export const SUBORDINATORS = words(`if when whenever once unless because cause whether while`);
/** These subordinate only when a subject follows ("after we migrate", not "after 10am"). */
export const SOFT_SUBORDINATORS = words(`after before until till`);

/** Verbs of saying: what follows is reported speech ("he said deploy api to prod"). */
export const REPORTING = words(
  `said says say saying typed type typing wrote asked asks mentioned told tells meant posted replied reply quoted suggested`,
);

/** Subject pronouns: "we deploy every tuesday" is a statement, not a request. */
export const SUBJECTS = words(`i we they he she you someone somebody everyone everybody nobody people who`);

/** Future and progressive markers: "i'll deploy", "about to restart", "going to roll back". */
export const ANNOUNCE = words(`will going about gonna planning plan`);

/** Past and perfect auxiliaries that open a question about the past: "did anyone…", "has the…". */
export const PAST_AUX = words(`did was were has have had been`);

/** Determiners and adjectives that make the following trigger word a noun: "the deploy", "nice deploy". */
export const NOUN_MARKERS = words(
  `the a an this that these those my our your his her their its last next another first every each nice good great bad failed prod staging whole entire same previous recent weekly daily`,
);

/** Light verbs: "give auth a restart", "do a dry run", "kick off a deploy" — the noun is the command. */
export const LIGHT_VERBS = words(
  `give do run trigger start kick perform queue schedule get need want make create write draft generate produce prepare show pull bring open display fetch see view grab list plan`,
);

/**
 * Idioms whose words would otherwise read as triggers or names: "heads up" is not a health check,
 * "check with the payments team" is not a check of payments, "check out" is not the checkout service.
 * Matched only as the whole run of words, before anything else.
 */
export const IDIOMS: ReadonlySet<string> = new Set([
  "heads up",
  "what is up",
  "up for",
  "up to",
  "follow up",
  "catch up",
  "wrap up",
  "sign up",
  "make up",
  "give up",
  "set up",
  "pick up",
  "check with",
  "check out",
  "get out of",
  "checking in",
  "good to go",
  "roll with",
  "push back",
  "pushed back",
  "back up",
  "backed up",
  "on call",
  "on it",
  "live with",
  "go live",
  "scale of",
  "status quo",
  "ping me",
  "ping you",
  "ping us",
  "ping them",
  "ping him",
  "ping her",
]);

/** Words of thanks and reactions; a message made only of these is chit-chat. */
export const CHATTER = words(
  `thanks thank cheers lol lmao haha hehe nice great cool awesome congrats gg lgtm ok okay kk yes no yep nope sure sorry brb omg wow`,
);

/** Pronoun objects: "ship it" with nothing else names no target. */
export const PRONOUN_OBJECTS = words(`it this that them these those`);

/** Particles of separable verbs: "roll api back", "turn featureMatrix on". */
export const PARTICLES = words(`back on off up down out in over`);

/**
 * Common English words (4+ letters) that are one typo away from an ops word and must never be
 * read as that typo: "lots"→logs, "stale"→scale, "ship"→"shop", "down"→"dawn".
 */
export const COMMON_WORDS = words(`
  able about above across actually after again against ago almost alone along already also always among
  another answer anyone anything anyway anywhere apart around asked away back bad basically bath beard because
  become been before begin behind being believe below best better between beyond bill bird black block blog blue
  board body book both bottom boss break bring broad brown bunch bush busy call came card care careful case cause
  chair chance change chat cheap cheek chick child chip city class clean clear close code cold come coming
  common cool copy core cost could count couple course cover crazy dark data date dawn dead deal dear death
  debt deep demo desk details diff dinner does done door doubt draft dream drive drop during each early easy
  edge else email empty ended enough entire even ever every exact exactly example except face fact fair fall
  false family fast fear feel feels felt field file fill final fine fire first five flat flap flow folks food
  foot form four free friday friend from front full fully funny game gave give given glad goes going gone good
  gown great green group guess half hall hand happy hard have head hear heard heart held hello helps here high
  hold hole home hope hour house huge idea image into issue item join joke just keep kept kind king knew know
  known land large last late later lead learn least leave left legs less lets life light like line link list
  little live load local lock logo long look looks loop lose lost love lunch made main make many mark mate
  maybe mean means meet meeting mind mine miss mode monday more most move much must name near need needs
  never news next nice night none note notes nothing notion okay once only open other over page paid pain paper
  part pass past path pick pink pint plan play plod plus point poll pool poor post pretty print prom prop proud
  pull pure push quick quite race rain rate read ready real really reason rest ride ring road rock role room
  round rule safe said same save says scare seem seems seen self sell send sent shop short shot show shut sick
  side sign sing single site size slip slow small snip soft some song soon sorry sort sound south spot stage
  stale star start state stay step still stop story such sure table take taken talk tall task team tell term
  test text than thank that them then there they thing think this those though three through thursday time
  tired today told took tool total touch town track tried true trust truth tuesday turn type under until upon
  used user users very view wait walk wall want warm wash watch water ways week weekend well went were west what
  when where which while white whip whole wide will wind wish with without woke word words work worked works
  world worry would write wrong yeah year years your zero lately flaky great meeting slides launch standup wifi
  office coffee noisy forever congrats handling review approve reject sounds heads party demo funny thanks
  hours minutes seconds days weeks months today tomorrow yesterday tonight morning evening afternoon
  statue employ scaly shale chick cheek hoard broad dawn gown town logo lots legs lags shop chip whip slip snip
  bush posh pish oath bath held hemp kelp prom proud prop plod pink pint sing king ring pong flat flap
  kick sick lick tick pick wick ping pong deal dial broke broken homepage
`);
