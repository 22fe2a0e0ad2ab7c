import { nuxtSuite } from "./_nuxt-suite.ts";

nuxtSuite("folder");
