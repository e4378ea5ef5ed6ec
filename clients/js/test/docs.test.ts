import ts from "typescript";
import { describe, expect, it } from "vitest";

// Every export of the three entry points (and every public member of the client) carries TSDoc with an @example.
const entries = ["index.ts", "axios.ts", "react.ts"].map((f) => decodeURIComponent(new URL(`../src/${f}`, import.meta.url).pathname));
const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, skipLibCheck: true });
const checker = program.getTypeChecker();

function undocumented(symbol: ts.Symbol, name: string): string[] {
  const declaration = symbol.declarations?.[0];
  if (!declaration) return [`${name}: no declaration`];
  const hasText = ts.getJSDocCommentsAndTags(declaration).length > 0;
  const hasExample = ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === "example");
  return hasText && hasExample ? [] : [name];
}

describe("documentation", () => {
  it.each(entries)("every export of %s has TSDoc with an example", (entry) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const missing: string[] = [];
    const exports = checker.getExportsOfModule(module);
    expect(exports.length).toBeGreaterThan(0);
    for (const exported of exports) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      missing.push(...undocumented(symbol, exported.name));
      if (symbol.flags & ts.SymbolFlags.Class) {
        const members = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol));
        for (const member of members) {
          const declaration = member.declarations?.[0];
          const isPublicApi = declaration && (ts.isMethodDeclaration(declaration) || ts.isGetAccessorDeclaration(declaration)) &&
            !(ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
          if (isPublicApi) missing.push(...undocumented(member, `${exported.name}.${member.name}`));
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
