import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);
import{a as e,b as m,c as n}from"./chunk-3KNFANXC.js";import{n as t,q as i}from"./chunk-XLFUPPHY.js";import{F as r}from"./chunk-TKQEPCZN.js";var o=class extends e(m,n,"ListVersionsByFunction",t){};var d=r(i,o,"Marker","NextMarker","MaxItems");export{d as a};
