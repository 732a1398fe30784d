// the repository root has no example env file: nothing is asked of this
const n = Number(process.env.SEED_COUNT);
