var a=process.env.BUNDLED;
