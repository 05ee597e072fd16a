// Everyday English words of five letters or more that sit one edit away from taxonomy vocabulary
// ("shops" / "shoes", "wedding" / "bedding", "phone" / "iphone"). The typo corrector leaves them alone:
// a real word that the taxonomy doesn't list is an unknown interest, not a misspelt one.
// Only words the corrector would reach need to be here; the rest guard against future taxonomy edits.

export const COMMON_WORDS: ReadonlySet<string> = new Set(
  `
  ability above accept across action active actor actual adult advice afraid agency agent agree ahead alarm
  album alive allow alone along alpha amount angel anger angle angry animal annual answer anxiety apart appeal
  apply april arena argue arise armed arrive arrow artist aside asset assist astrology audio author avoid award
  aware awful babies badge baker balance banana basic basis batch beach beard beast beauty bedroom begin being
  belief belly below bench berry bible bicycle bicycles bikes biking billion binge birding birds birdwatching
  birth biscuit bishop bitter black blade blame blank blast bleed blend bless blind block blood bloom board
  boats bonus boost border bored borrow bottle bottom bound brain brand brave bread break breath breed brick
  bride bridge brief bright bring broad broken brother brown brush budget build bunch burst buyer cabin cable
  calligraphy camel camera campus canal candy canoe canvas career careful cargo carpet carrot carry carve castle
  casual cattle cause cease center central ceramics chain chair chalk champ change channel chaos chapter charge
  charm chart chase cheap check cheek cheer chest chick chief child chill choice choir choose chose chunk church
  cigar circle civil claim class clean clear clerk click cliff climate climb clock close cloth cloud clown coach
  coast cocoa coins collar colony color colour comedian comedians comfort comic coral corner cotton couch could
  count county couple course court cousin cover crack craft crash crazy cream create credit creek crime crisp
  critic crowd crown cruel crush crystal cycle daily dairy dance dancing danger dating dealer death debate
  decade decent deeply degree delay delta demand dental depth desert design desire detail device diary dinner
  direct dirty disco dollar donate doors double doubt dozen draft drama drawing drawings dream dress drink drive
  drone drummer drums dying eager eagle early earth easily eaten eating economy edition editor effect effort
  eight elder elect elite email empty enemy energy engine enjoy enter entry equal error essay event exact exist
  extra fabric faced faith false fancy farmer farming fatal fault favor favour feast fence ferry fever fiber
  field fierce fifth fight final finger finish fires first fixed flame flash fleet flesh flight float flood
  floor flour fluid focus force forest forget forth forum found frame fraud fresh fries front frost fruit fully
  funny galaxy garage gather genealogy gentle ghost giant given glance glory glove goals goods grace grade grain
  grand grandparents grant graph grass grave great green greet grief gross group grown guard guess guest guide
  guilt guitar guitarist habit hairs happy harsh hatch haunt heart heavy hedge hello hence herbal hiker hobby
  honest honey honor horoscopes horror horse hostel human humor hurry ideal image imply index inner input insect
  inside issue ivory jacket jewel joint joker jokes journaling judge juice jumbo kayaking kettle kidney kinds
  kingdom kitten knife knock known label labor labour ladder large laser later laugh layer leader learn lease
  least leave legal legend legos lemon level light limit linen liver local logic loose lover lower loyal lucky
  lunch lying magic magician major maker manga manner maple march marine marry match mayor meant medal media
  meditation memes mercy merit metal meter midst might minor minus mixed model moist moment month moral motor
  mount mouse mouth movie muddy music naked nasty nature naval needle nerve never night noble noise north novel
  nurse ocean offer often olive onion opera orbit order organ origami other outer owner oxygen paddle paint
  painting panel panels panic paper parade parent parenting parents party pasta patch pause peace peach pearl
  pedal penny phase phone phones photo pianist piano piece pilot pinch pitch pizza place plain plane plant plate
  plaza plenty poems point poker polar politics porch pottery pound powder power prayer press price pride prime
  print prior prize proof proud prove pulse punch puppies puppy purse queen query quick quiet quilt quite quote
  radar radio raise rally ranch range rapid ratio reach ready realm rebel refer relax religion remote reply
  rider ridge rifle right rigid river roast robot rocky rough round route royal rural salad salon sauce scale
  scare scene scent scope score scout scrapbooking screen scrub sculpture sense serve seven shade shake shall
  shame shape share sharp sheep sheet shelf shell shift shine shirt shock shoot shopper shopping shops shore
  short shout sight silly since singing sister sixth skill skirt skull slave sleep slice slide slope small smart
  smell smile smoke snake sneak solar solid solve sorry sound south space spare spark speak speed spell spend
  spice spine spirituality spite split spoke spoon sport spray squad stack staff stage stair stake stand stare
  start state steam steel steep stick stiff still stock stone stool store storm story stove strip stuck study
  style sugar suite sunny super sustainability sweet swing sword table taken taste teach teenagers teens teeth
  thank theme thick thief third those throw thumb tiger tight timer tired title toast toddlers token tooth topic
  total touch tough towel tower toxic trace track trade trail train trait treat trend trial tribe trick truck
  truly trust truth twice uncle under union unity until upper upset urban usage usual valid value veggies video
  virus visit vital vocal voice volunteering voter wages wagon waste watch water wedding weddings weekly weird
  whale wheat wheel white whole widow width wildlife woman women world worry worse worth would wound wrist write
  wrong yacht young youth zebra
  `
    .trim()
    .split(/\s+/),
)
