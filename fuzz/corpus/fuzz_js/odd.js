#!/usr/bin/env node
﻿const x = café + \u0041 + \u{1F600}y + this.#p;
0x1e+5; 1e-3n; .5; a?.5:1; x >>>= 2; a ??= b;
