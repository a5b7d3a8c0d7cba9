import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-L2T3DIRL.js";import"./chunk-IJA4VFST.js";import"./chunk-Q7RBQIRF.js";import"./chunk-OJSJYV7L.js";import"./chunk-FIAJ3AXS.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
