import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);
import{a as e,b as m,c as n}from"./chunk-ZD7WH6EZ.js";import{n as t,q as i}from"./chunk-W3GF4RCF.js";import{F as r}from"./chunk-IJA4VFST.js";var o=class extends e(m,n,"ListVersionsByFunction",t){};var d=r(i,o,"Marker","NextMarker","MaxItems");export{d as a};
