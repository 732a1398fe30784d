const { P }: Record<string, Array<string>> = process.env;
const q = process.env.Q!;
const v = import.meta.env.VITE_X;
const w = <T>y;
