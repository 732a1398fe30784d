const a = process.env.A;
const { B, C: c, D = "d", ...rest } = process.env;
const e = process.env["E"] || "x", f = process.env?.F ?? 1;
