/**
 * The language features as LSP sees them: each method turns an LSP request into a call to the
 * pure functions of `server/ide/` and their plain results into LSP types (URIs, symbol kinds,
 * markdown, severities). Everything here is conversion; the knowledge lives in `server/ide/`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CallHierarchyIncomingCall,
  type CallHierarchyItem,
  type CallHierarchyOutgoingCall,
  type CodeLens,
  type Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  type DocumentSymbol,
  type Hover,
  type Location,
  MarkupKind,
  type Position,
  SymbolKind,
  type WorkspaceSymbol,
} from 'vscode-languageserver/node';
import { ClientCommand, type FunctionGraphResult, type NodeAtResult } from '../../common/lspProtocol';
import * as callHierarchy from '../ide/callHierarchy';
import { codeLenses } from '../ide/codeLens';
import { dataFlowFromCache, diagnose, type GraphDiagnostic } from '../ide/diagnostics';
import { functionGraph } from '../ide/functionGraph';
import { hover } from '../ide/hover';
import { definition, references } from '../ide/navigation';
import { nodeAt } from '../ide/nodeAt';
import type { Location as IdeLocation } from '../ide/positions';
import { type DocumentSymbol as IdeSymbol, type SymbolKind as IdeSymbolKind, documentSymbols, workspaceSymbols } from '../ide/symbols';
import type { DocumentSnapshot } from '../workspace/workspaceGraph';
import type { WorkspaceSession } from './workspaceSession';

export interface DocumentAt {
  readonly session: WorkspaceSession;
  /** Workspace-relative, forward slashes. */
  readonly path: string;
}

/** What a call-hierarchy item carries between prepare and incoming/outgoing: plain JSON. */
interface ItemData {
  readonly functionId: string;
  readonly root: string;
  readonly path: string;
}

const SYMBOL_KINDS: Record<IdeSymbolKind, SymbolKind> = {
  module: SymbolKind.Module,
  protocol: SymbolKind.Interface,
  implementation: SymbolKind.Class,
  function: SymbolKind.Function,
  macro: SymbolKind.Function,
  guard: SymbolKind.Function,
  delegate: SymbolKind.Function,
  clause: SymbolKind.Method,
};

export class LanguageFeatures {
  hover(at: DocumentAt, position: Position): Hover | null {
    const result = hover(at.session.view, at.path, position);
    return result && { contents: { kind: MarkupKind.Markdown, value: result.markdown }, range: result.range };
  }

  definition(at: DocumentAt, position: Position): Location[] {
    return definition(at.session.view, at.path, position).map((location) => toLocation(at.session, location));
  }

  references(at: DocumentAt, position: Position, includeDeclaration: boolean): Location[] {
    return references(at.session.view, at.path, position, includeDeclaration).map((location) => toLocation(at.session, location));
  }

  documentSymbols(at: DocumentAt): DocumentSymbol[] | null {
    const document = at.session.view.document(at.path);
    return document ? documentSymbols(document, at.session.view).map(toDocumentSymbol) : null;
  }

  workspaceSymbols(sessions: readonly WorkspaceSession[], query: string): WorkspaceSymbol[] {
    return sessions.flatMap((session) =>
      workspaceSymbols(session.view, query).map((symbol) => ({
        name: symbol.name,
        kind: SYMBOL_KINDS[symbol.kind],
        containerName: symbol.containerName ?? undefined,
        location: toLocation(session, symbol.location),
      })),
    );
  }

  prepareCallHierarchy(at: DocumentAt, position: Position): CallHierarchyItem[] {
    return callHierarchy.prepareCallHierarchy(at.session.view, at.path, position).map((item) => toCallHierarchyItem(at.session, item));
  }

  incomingCalls(sessions: ReadonlyMap<string, WorkspaceSession>, item: CallHierarchyItem): CallHierarchyIncomingCall[] | null {
    const data = item.data as ItemData | undefined;
    const session = data && sessions.get(data.root);
    if (!session) return null;
    return callHierarchy.incomingCalls(session.view, { data }).map((call) => ({ from: toCallHierarchyItem(session, call.from), fromRanges: call.fromRanges }));
  }

  outgoingCalls(sessions: ReadonlyMap<string, WorkspaceSession>, item: CallHierarchyItem): CallHierarchyOutgoingCall[] | null {
    const data = item.data as ItemData | undefined;
    const session = data && sessions.get(data.root);
    if (!session) return null;
    return callHierarchy.outgoingCalls(session.view, { data, path: data.path }).map((call) => ({ to: toCallHierarchyItem(session, call.to), fromRanges: call.fromRanges }));
  }

  codeLenses(at: DocumentAt): CodeLens[] {
    return codeLenses(at.session.view, at.path).map((lens) => ({
      range: lens.range,
      command: {
        title: lens.title,
        // A click opens the references peek at the definition; the client turns the plain JSON
        // arguments into VS Code's types (common/lspProtocol.ts, ClientCommand).
        command: lens.callers > 0 ? ClientCommand.showReferences : '',
        arguments: lens.callers > 0 ? [uriOf(at.session.root, lens.path), lens.position] : undefined,
      },
    }));
  }

  /** Diagnostics of an open document's text as just parsed, its clause graphs from its cache. */
  diagnostics(document: DocumentSnapshot, at: DocumentAt): Diagnostic[] {
    return diagnose(document, dataFlowFromCache(document.graphs, document.text)).map((found) => toDiagnostic(at, found));
  }

  nodeAt(at: DocumentAt, position: Position): NodeAtResult | null {
    return nodeAt(at.session.view, at.path, position);
  }

  functionGraph(at: DocumentAt, position: Position, uri: string): FunctionGraphResult | null {
    const result = functionGraph(at.session.view, at.path, position);
    return result && { ...result, uri };
  }

  query(session: WorkspaceSession, query: unknown): unknown {
    return session.view.queries.run(query);
  }
}

export function uriOf(root: string, relativePath: string): string {
  return pathToFileURL(path.join(root, relativePath)).href;
}

function toLocation(session: WorkspaceSession, location: IdeLocation): Location {
  return { uri: uriOf(session.root, location.path), range: location.range };
}

function toDocumentSymbol(symbol: IdeSymbol): DocumentSymbol {
  return {
    name: symbol.name,
    detail: symbol.detail,
    kind: SYMBOL_KINDS[symbol.kind],
    range: symbol.range,
    selectionRange: symbol.selectionRange,
    children: symbol.children.map(toDocumentSymbol),
  };
}

function toCallHierarchyItem(session: WorkspaceSession, item: callHierarchy.CallHierarchyItem): CallHierarchyItem {
  const data: ItemData = { functionId: item.data.functionId, root: session.root, path: item.path };
  return {
    name: item.name,
    detail: item.detail,
    kind: SymbolKind.Function,
    uri: uriOf(session.root, item.path),
    range: item.range,
    selectionRange: item.selectionRange,
    data,
  };
}

function toDiagnostic(at: DocumentAt, found: GraphDiagnostic): Diagnostic {
  const tags = found.tags?.map((tag) => (tag === 'unnecessary' ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated));
  return {
    range: found.range,
    severity: found.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: found.code,
    source: 'ElixirScope',
    message: found.message,
    tags: tags && tags.length > 0 ? tags : undefined,
    relatedInformation: found.related?.map((related) => ({
      location: { uri: uriOf(at.session.root, at.path), range: related.range },
      message: related.message,
    })),
  };
}
