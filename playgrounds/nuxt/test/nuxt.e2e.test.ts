import { nuxtSuite } from "./_nuxt-suite.ts";

nuxtSuite("subdomain");
