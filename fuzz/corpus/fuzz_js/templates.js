const t = `a ${process.env.T} b ${ {k: `n ${x}`}.k } c`;
const u = `\${x} \` y`;
`open ${x
