export const C = () => <div title="process.env.ATTR" a='}'>Don't {process.env.J}</div>;
const f = <><b>{`${c}`}</b>{/* c */}</>;
const g = <T,>(x: T) => x;
const h = <p>open
