import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-BAUVSJ7R.js";import"./chunk-TKQEPCZN.js";import"./chunk-GSGG6SNW.js";import"./chunk-T4VDWABY.js";import"./chunk-E6JS3AAX.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
