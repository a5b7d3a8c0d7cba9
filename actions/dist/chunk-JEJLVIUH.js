import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);
var o=/^[0-9a-f]{40}$/,t=/^[0-9a-f]{64}$/;export{o as a,t as b};
