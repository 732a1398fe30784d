// process.env.C1
/* process.env.C2
 */ const s = 'it\'s' + "a\"b";
const r = /[/]\/process.env/gi, d = a / b / c;
if (x) /re/.test(y); else {} /z/.exec(w)
