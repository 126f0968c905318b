/**
 * Generated families of SQL injections and of benign values that look like them, for the SQL
 * injection detector's measurement (scripts/sqli-detector-corpus.ts) and its unit test
 * (src/waf/detectors/sqli.test.ts). Written here from the techniques' descriptions, not copied
 * from any payload list. Templates are expanded with a seeded source: `{b}` a break-out (none,
 * `'`, `"`, `)`, `')`, `"))`… after a number or a word), `{n}` a number, `{w}` a word, `{c}` a
 * trailing comment, `{col}`/`{tbl}` names, `{_}` a separator (space, tab, newline, `/**\/`);
 * keywords get a random case.
 */
import { seededRandom } from '../test/helpers/seeded-random.js'

export interface Family {
  readonly name: string
  readonly attack: boolean
  readonly values: readonly string[]
}

const ATTACKS: Record<string, readonly string[]> = {
  'tautology': [
    "{b} OR '{n}'='{n}", '{b} or {n}={n}{c}', '{b} OR 1=1{c}', "{b} or 'x'='x", '{b} || {n}={n}{c}', "{b} OR ''='", '{b} OR true{c}',
    '{b} OR {n}>{n}{c}', "{w}'-- ", "{w}'#", '{w}"--', "{w}' /*", "{b} or not {n}={n}+1{c}", "{b} OR 'a' IS NOT NULL{c}", '{b} OR {n} BETWEEN {n} AND {n}{c}',
  ],
  'order-by probing': ['{b} ORDER BY {n}{c}', '{b} order by {n}', '{b} GROUP BY {col}{c}', '{b} ORDER BY {n},{n}{c}', '{b} GROUP BY {n} HAVING {n}={n}{c}', '{b} LIMIT {n},{n}{c}', '{b} ORDER BY {col} DESC{c}'],
  'function boolean': [
    '{b} AND ASCII(SUBSTRING((SELECT {col} FROM {tbl} LIMIT 1),{n},1))>{n}{c}', "{b} AND LENGTH(database())>{n} AND '{n}'='{n}", '{b} and ord(mid(user(),1,1))>{n}{c}',
    "{b} OR SUBSTR(version(),1,1)='{n}", '{b} AND (SELECT COUNT(*) FROM {tbl})>{n}{c}', '{b} AND LENGTH({col})={n}{c}', "{b} and substring(@@version,1,1)='5'{c}",
    '{b} AND EXISTS(SELECT * FROM {tbl}){c}', "{b} AND (SELECT SUBSTRING({col},1,1) FROM {tbl} WHERE id=1)='a'{c}", '{b} AND UNICODE(SUBSTRING(DB_NAME(),1,1))>{n}{c}',
  ],
  'parenthesis closing': [
    "{w}') OR ('{n}'='{n}", "{w}')) UNION SELECT {col},{col} FROM {tbl}{c}", '{n}) AND ({n}={n}', '{n})) OR (({n}={n}', "{w}\") or (\"a\"=\"a", "{w}') AND SLEEP({n}){c}",
    '{n}) UNION ALL SELECT NULL,NULL{c}', "{w}')) OR 1=1{c}", "{w}') AND ('{w}' LIKE '{w}", '{n}) OR {n}={n}{c}',
  ],
  'time blind': [
    '{b} AND SLEEP({n}){c}', "{b}; WAITFOR DELAY '0:0:{n}'{c}", '{b} AND pg_sleep({n}){c}', '{b} AND BENCHMARK({n}000000,MD5(1)){c}', 'BENCHMARK({n}000000,MD5(1))',
    '{b} OR IF(1=1,SLEEP({n}),0){c}', '{b} AND (SELECT * FROM (SELECT(SLEEP({n}))){w}){c}', "{b} || pg_sleep({n}){c}", '{b};SELECT pg_sleep({n}){c}', "{b} AND {n}=DBMS_PIPE.RECEIVE_MESSAGE('{w}',{n}){c}",
    "{b}+sleep({n})+'", '{b} WAITFOR DELAY \'0:0:{n}\'{c}', 'sleep({n})#', '{b} RLIKE SLEEP({n}){c}', '{b} AND {n}=LIKE(\'ABCDEFG\',UPPER(HEX(RANDOMBLOB({n}00000000/2)))){c}',
  ],
  'stacked queries': [
    '{b}; DROP TABLE {tbl}{c}', "{b}; INSERT INTO {tbl} VALUES('{w}','{w}'){c}", "{b}; EXEC xp_cmdshell('dir'){c}", '{b}; SHUTDOWN{c}', "{b};UPDATE {tbl} SET {col}='{w}'{c}",
    '{b}; DELETE FROM {tbl}{c}', '{b}; SELECT {col} FROM {tbl}{c}', '{b}; CREATE TABLE {tbl}({col} int){c}', "{b}; DECLARE @x varchar(99); SET @x='{w}'{c}",
  ],
  'comment obfuscation': [
    '{b}/**/UNION/**/SELECT/**/{n},{n}{c}', "{b}/**/OR/**/{n}={n}#", '{b}/*{w}*/OR/*{w}*/{n}={n}{c}', '{b} /*!50000UNION*/ /*!50000SELECT*/ {col} FROM {tbl}{c}',
    '{b} /*!UNION*/ SELECT {n},{n}{c}', '{b}/*!AND*/{n}={n}{c}', '{b}%0aUNION%0aSELECT {n}{c}', '{b} UNION -- {w}\nSELECT {n},{n}{c}', '{b} /*!12345UNION SELECT*/ {n}{c}',
    '{b}/**/AND/**/SLEEP({n})#', '{b}#{w}\nOR {n}={n}{c}',
  ],
  'hex strings': [
    "{b} OR {col}=0x61646d696e{c}", '{b} UNION SELECT 0x{n}41,{n}{c}', '{b} AND 0x41=0x41{c}', '{b} AND {col}=0x{n}{c}', "{b} UNION SELECT CHAR(0x{n}),{n}{c}",
    '{b} OR {col} LIKE 0x25{c}', '{b} AND X\'41\'=X\'41\'{c}',
  ],
  'concatenation': [
    "{w}'||(SELECT {col} FROM {tbl})||'", "{w}' || '{w}'='{w}", "{w}'+(SELECT TOP 1 {col} FROM {tbl})+'", "{w}'||UTL_INADDR.GET_HOST_NAME('{w}')||'", "{w}' + CHAR({n}) + '",
    '{n}||{n}={n}{c}', "{w}'||chr({n})||'",
  ],
  'like boolean': ["{b} OR {col} LIKE '%{w}%", '{b} AND {col} LIKE \'{w}%\'{c}', '{b} or 1 like 1{c}', "{b} AND {col} NOT LIKE '{w}", "{b} OR {col} RLIKE '^{w}'{c}", "{b} AND '{w}' LIKE '{w}"],
  'error based': [
    '{b} AND extractvalue(1,concat(0x7e,version())){c}', '{b} AND updatexml(1,concat(0x7e,(SELECT user())),1){c}', '{b} AND 1=CONVERT(int,@@version){c}',
    '{b} AND {n}=CAST((SELECT version()) AS int){c}', '{b} AND (SELECT 1 FROM(SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a){c}',
    '{b} AND EXP(~(SELECT * FROM (SELECT USER())a)){c}', "{b} AND 1=(SELECT UPPER(XMLType(CHR(60)||CHR(58)||'{w}'||CHR(62))) FROM DUAL){c}", '{b} OR 1 GROUP BY CONCAT(version(),FLOOR(RAND(0)*2)) HAVING MIN(0){c}',
    '{b} AND GTID_SUBSET(CONCAT(0x7e,version()),{n}){c}', "{b} AND {n}=CTXSYS.DRITHSX.SN({n},(SELECT '{w}' FROM DUAL)){c}",
  ],
  'case when': [
    '{b} AND (CASE WHEN ({n}={n}) THEN 1 ELSE 0 END)=1{c}', '(CASE WHEN {n}={n} THEN {n} ELSE 1/0 END)', "{b} OR CASE WHEN 1=1 THEN 'a' ELSE 'b' END='a", '(SELECT (CASE WHEN ({n}={n}) THEN {n} ELSE (SELECT {n} UNION SELECT {n}) END))',
    '{b} AND {n}=(CASE WHEN (SUBSTRING(user(),1,1)=\'r\') THEN {n} ELSE 0 END){c}', '{b} ORDER BY (CASE WHEN {n}={n} THEN {col} ELSE {col} END){c}',
  ],
  'dialect specifics': [
    "{b} AND 1=(SELECT 1 FROM dual){c}", "{b} UNION SELECT banner,NULL FROM v$version{c}", "{b} AND UTL_INADDR.GET_HOST_ADDRESS('{w}') IS NOT NULL{c}", "{b}; EXEC master..xp_cmdshell 'ping {w}'{c}",
    '{b} AND @@version>0{c}', "{b} AND {n}::int={n}{c}", '{b} AND 1=CAST(version() AS int){c}', "{b} AND $$a$$=$$a$${c}", '{b} UNION SELECT NULL,table_name FROM information_schema.tables{c}',
    "{b} AND 1=(SELECT COUNT(*) FROM all_users){c}", "{b}; SELECT * FROM pg_user{c}", '{b} AND ROWNUM=1{c}', "{b} OR 1=1 INTO OUTFILE '/tmp/{w}'{c}", '{b} UNION SELECT load_file(\'/etc/passwd\'),{n}{c}',
    '{b} PROCEDURE ANALYSE(){c}', '{b} AND SUSER_NAME()=\'sa\'{c}', '{b} AND DB_NAME()>{n}{c}',
  ],
  'login bypass': [
    "{w}'--", "{w}' --", "{w}' #", "{w}'/*", "' or ''='", "'or''='", "' or 1 --", "') or true--", '" or ""="', "{w}' or '{n}'='{n}' --", "{w}') or ('{n}'='{n}'--", "' OR 1=1 LIMIT 1 -- -",
    "{w}' or {n}={n} or '{w}'='{w}", "'='", "{w}'||'", "' or sleep({n})='", "0'XOR(if(now()=sysdate(),sleep({n}),0))XOR'Z", "'XOR(select(0)from(select(sleep({n})))v)XOR'",
  ],
  'union': [
    '{b} UNION SELECT {col},{col} FROM {tbl}{c}', '{b} UNION ALL SELECT NULL,NULL,NULL{c}', '-{n} UNION SELECT {n},{n},{n}', '{b} union distinct select {n},{col} from {tbl}{c}',
    '{b} UNION(SELECT {col} FROM {tbl}){c}', "{b} UNION SELECT @@version,{n}{c}", '{b} UNION SELECT * FROM {tbl}{c}',
  ],
}

const BENIGN: Record<string, readonly string[]> = {
  'prose with quotes and dashes': [
    'Select the best option from the list and update your profile.', "It's fine -- don't worry", "O'Reilly's 'Learning SQL' -- 2nd ed.", "Don't drop the {w} -- it's fragile!",
    'Order by Friday or we\'ll sell out', "Union members' meeting: 5 - 7pm", 'Where\'s the "select all" button?', "Delete old files; then create a backup.", "We've updated the {w} - see 'News' for details",
    "Kids' and adults' sizes available", 'I said "yes" or "no" -- nothing else', "Rock 'n' roll isn't dead", "Please select one or more items from the table below.", "Update: the {w}'s price is $5 -- or less",
    "Insert coin, then select 'Play'", 'The "union" of two sets -- A or B', "Can't decide between 1 or 2? Let's talk.", "That's {n}% off -- today only!", "You're in! Don't forget to set your password.",
    "From 9 to 5 -- Monday to Friday", "Truncate the text if it's longer than {n} characters", "Create, update and delete {w}s in one place", "What's 1+1? It's 2 -- obviously",
    "Join us for the {w} on May {n} -- it's free", "Ain't no mountain high enough -- or is it?", "Hello, world! It's me -- {w}.", "Between you and me, it's the best {w}", "Top {n} tips: drop shipping, 'lean' ops -- and more",
    "He said: 'Select carefully, and order by priority.'", "{w}'s \"final\" answer -- or not?", "A 'like' or a 'share' helps us a lot", "Where and when? Tomorrow -- {n} o'clock",
    "Kids' #1 choice", "Parents' #{n} pick for 2024", "The Smiths' -- their best album", "the students' -- and teachers' -- views", '5" - {n}"', "Height: 6' = 72", "'a', 'b', 'c'", "'a' or 'b'",
    '"McDonald\'s" or "Wendy\'s"', "Tom's & Jerry's", 'Use `SELECT * FROM {tbl}` to list rows', 'He said "no" -- and left', "'Tis the season", "'90s and '00s hits", "Size: {n}' x {n}' -- approx.",
    "The '=' sign", "'#' means number", "'--' is a dash", "Press '*' then '#'", "the Joneses' union -- {n} years", '"quoted" and "more quoted" or "other"', "Type '1' or '2' and press Enter",
    "It's either 'on' or 'off' -- nothing in between", "Don't forget: 'a' < 'b' is true", "the dogs' bowls -- all {n} of them", "Women's sizes (US) -- 4-16", "What's 2+2? It's 4 -- duh",
  ],
  'header values': [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{n}0.0.0.0 Safari/537.36', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    'curl/8.{n}.0', 'python-requests/2.{n}.0', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{w}', '_ga=GA1.2.{n}34567890.1700000000; theme=dark; lang=en-US', 'max-age=0, no-cache, no-store', 'gzip, deflate, br',
    'en-US,en;q=0.9,fr;q=0.8', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'W/"{w}{n}"', 'Mon, 07 Dec 2026 06:{n}:00 GMT', 'https://www.example.com/search?q={w}+{w}&page={n}',
    'attachment; filename="report ({n}).pdf"', 'form-data; name="{w}"; filename="{w}\'s notes.txt"', 'for=192.0.2.{n};proto=https;by=203.0.113.43', 'id={n}; expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure',
  ],
  'expressions and query languages': [
    '=SUM(A1:A{n})', '=IF(A1>0,"yes","no")', "=IF(B2>={n}, 'high', 'low')", '$.store.book[?(@.price < {n})].title', '//book[@price<{n}]/title', "a[href^='http']", '(&(objectClass=user)(cn={w}*))',
    'rate(http_requests_total{job="api"}[5m]) > 0.5', 'sum(rate(errors[5m])) by (service) > {n}', '*/5 * * * *', 'x = (a + b) * {n}', 'name asc', '-created_at', 'id,name,email', 'created_at:desc,name:asc',
    'price>{n}', 'price >= {n} and price <= {n}', "status eq 'active' and age gt {n}", "Name eq 'Milk' and Price lt 2.55", "startswith(Name, 'Mi') eq true", "contains(title, '{w}') or contains(body, '{w}')",
    'year(BirthDate) eq 1990', "SELECT Id, Name FROM Account WHERE Industry = 'Technology' LIMIT {n}", 'select A, sum(B) group by A', 'query { user(id: "{n}") { name } }',
    'mutation AddUser($name: String!) { addUser(name: $name) { id } }', "if (a == {n} && b != 2) { return '{w}'; }", "print(\"It's \" + str(n) + \" items\")", '10 > 5 and 3 < 4', '3 + 4 = 7 or 8?',
    "magnitude > 3.{n} AND depth < {n}", "date >= '2024-01-01' and region = '{w}'", 'status = "open" AND assignee = {w} ORDER BY created DESC',
  ],
  'multilingual text': [
    "L'école d'été commence le {n} juin -- c'est « génial » !", "Qu'est-ce que c'est ? Ce n'est pas l'heure.", "C'è un'altra possibilità, o no? Dell'anno {n}.", "Sant'Agata de' Goti -- dall'1 al 5 maggio",
    "Türkiye'nin başkenti Ankara'dır; İstanbul'un nüfusu {n} milyon.", "П'ять і м'ясо -- це «тест» на {n} рядків", 'Привет, мир -- это "тест" или нет?', 'Γεια σου κόσμε -- «δοκιμή» {n}',
    '東京都渋谷区「テスト」-- 第{n}版', '北京市朝阳区 "测试" 或者 \'不是\'', '서울특별시 "테스트" -- {n}번', 'مرحبا بالعالم -- "اختبار" {n}', 'שלום עולם -- "בדיקה" או לא', 'नमस्ते दुनिया -- "परीक्षण" {n}',
    "Weißt du, wie's geht? -- Ja, „sicher“!", "¿Qué tal? Estoy bien -- 'gracias' o no.", "Olá, tudo bem? -- d'água e 'café'", "Cześć! To jest 'test' -- nr {n}", "Xin chào thế giới -- 'thử nghiệm' {n}",
    "Hyvää päivää! Se on 'testi' -- tai ei.", "Dia duit! Ó Briain agus Ó'Neill -- {n}", "Sawubona -- 'uvivinyo' {n}", "Jag heter O'Brien och bor på 'Storgatan' {n}", "d'1 à {n} -- l'autre",
  ],
  'names with apostrophes': [
    "O'Brien", "D'Angelo", "O'Neil-Smith", "Mc'Donald", "N'Golo Kanté", "Jean-Luc d'Artagnan", "Ng'ang'a", "Ma'afu", "{w} O'{w}", "D'Souza & Sons", "L'Oréal Paris", "Toys 'R' Us", "Dunkin' Donuts",
    "Guns N' Roses", "O'Hare International", "Côte d'Ivoire", "Martha's Vineyard", "St. John's", "Hawai'i", "Chef's \"special\" menu",
  ],
  'numbers, dates, identifiers': [
    '-{n}', '{n}e10', '3.14', '1,234.56', '{n}-{n}', '2024-01-{n}', '12:30:00', '+1 (555) 010-{n}', '0x1F', '1.2.3-rc.{n}', '{n}/{n}', '50%', '#{n}', 'N/A', '--', '-', '1--2', "5'10\"", "{n}'", '{n}"',
    '10 or more', '1 or 2', '{n} and up', '{n} - {n}', '(555) {n}-0000', '{n}x{n}', 'v{n}.0', '{n}.{n}.{n}.{n}', 'ISBN 978-0-{n}-1', "{n}' x {n}'", '1/2"', '{n}%-{n}%',
  ],
  'whole SQL statements': [
    'SELECT region, SUM(amount) FROM sales GROUP BY region', "SELECT * FROM {tbl} WHERE {col} = '{w}' AND {col} > {n} ORDER BY {col} LIMIT {n}",
    'WITH totals AS (SELECT {col}, COUNT(*) AS n FROM {tbl} GROUP BY {col}) SELECT * FROM totals ORDER BY n DESC', "select {col}, avg({col}) from {tbl} where {col} between {n} and {n} group by {col} having count(*) > {n}",
    "SELECT a.{col}, b.{col} FROM {tbl} a JOIN {tbl} b ON a.id = b.{col} WHERE b.{col} IN ('{w}', '{w}')", 'SELECT COUNT(DISTINCT {col}) FROM {tbl}', "SELECT {col} FROM {tbl} WHERE {col} LIKE '{w}%'",
    'SELECT date_trunc(\'month\', created_at) AS month, SUM(total) FROM orders GROUP BY 1 ORDER BY 1',
  ],
  'search syntax': [
    'title:"{w} {w}" AND author:{w}', '"exact phrase" -exclude', 'is:open label:"bug fix" -author:{w}', 'price:[10 TO {n}]', "name:O'Brien OR name:{w}", '({w} OR {w}) AND NOT {w}',
    'tag:c++ sort:votes', 'site:example.com "sql injection"', "{w} -{w} +{w}", '{w}* AND {w}~2', 'created:>2024-01-01 stars:>{n}', "author:'{w}' or title:'{w}'", 'status = "open" AND assignee = {w} ORDER BY created DESC',
    "magnitude > 3.{n} AND depth < {n}", "date >= '2024-01-01' and region = '{w}'",
  ],
  'paths': [
    "/api/v1/users/O'Brien/orders", '/files/report--final.pdf', "/search/rock-'n'-roll", '/v1/items/1-2-3', '/repos/{w}/{w}/issues/{n}', "/blog/2024/01/what's-new", '/api/{w}/{n}/select',
    '/catalog/order-by-date', '/v2/union-station/departures', "/wiki/Côte_d'Ivoire", '/download/{w}.tar.gz', '/users/{n}/delete',
  ],
}

const WORDS = ['alpha', 'report', 'users', 'name', 'price', 'order', 'admin', 'test', 'value', 'data', 'item', 'table', 'password', 'email', 'x', 'abc']
const COLUMNS = ['username', 'password', 'id', 'email', 'name', 'col1', 'user_id', 'amount']
const TABLES = ['users', 'accounts', 'orders', 'information_schema.tables', 'sys.objects', 'dual', 'members']
const BREAK_OUTS = ['', "'", '"', ')', "')", '")', "'))", '))']
const COMMENTS = ['', '-- -', '--', '#', '/*', '-- x', '; --', ';--']
const SEPARATORS = [' ', ' ', ' ', '\t', '\n', '/**/', '  ']


function expand(template: string, random: (n: number) => number, attack: boolean): string {
  const pick = <T>(list: readonly T[]) => list[random(list.length)]!
  let text = template
    .replace(/\{b\}/g, () => `${pick(['1', String(random(999)), pick(WORDS)])}${pick(BREAK_OUTS)}`)
    .replace(/\{n\}/g, () => String(1 + random(99))).replace(/\{w\}/g, () => pick(WORDS))
    .replace(/\{col\}/g, () => pick(COLUMNS)).replace(/\{tbl\}/g, () => pick(TABLES)).replace(/\{c\}/g, () => pick(COMMENTS))
  if (attack) {
    text = text.replace(/%0a/g, '\n').replace(/\b[A-Za-z]{2,}\b/g, (word) => {
      const mode = random(4)
      return mode === 0 ? word.toLowerCase() : mode === 1 ? word.toUpperCase() : mode === 2 ? word.replace(/[a-z]/gi, (ch: string, i: number) => (i % 2 === 0 ? ch.toUpperCase() : ch.toLowerCase())) : word
    })
    if (random(4) === 0) {
      const separator = pick(SEPARATORS)
      text = text.replace(/ /g, () => (random(2) === 0 ? separator : ' '))
    }
  }
  return text
}

/** `perFamily` values a family, the same for the same seed. */
export function generatedFamilies(seed: number, perFamily: number): Family[] {
  const random = seededRandom(seed)
  const build = (templates: Record<string, readonly string[]>, attack: boolean) => Object.entries(templates).map(([name, list]) => ({
    name, attack, values: Array.from({ length: perFamily }, (_, i) => expand(list[i % list.length]!, random, attack)),
  }))
  return [...build(ATTACKS, true), ...build(BENIGN, false)]
}
