/**
 * The language features as LSP sees them: each method turns an LSP request into a call to the
 * pure functions of `server/ide/` and their plain results into LSP types (URIs, symbol kinds,
 * markdown). Everything here is conversion; the knowledge lives in `server/ide/`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  CallHierarchyIncomingCall,
  CallHierarchyItem,
  CallHierarchyOutgoingCall,
  CodeLens,
  Diagnostic,
  DocumentSymbol,
  Hover,
  Location,
  Position,
  WorkspaceSymbol,
} from 'vscode-languageserver/node';
import type { FunctionGraphResult, NodeAtResult } from '../../common/lspProtocol';
import type { WorkspaceSession } from './workspaceSession';

export interface DocumentAt {
  readonly session: WorkspaceSession;
  readonly path: string;
}

export class LanguageFeatures {
  private readonly sessions = new Set<WorkspaceSession>();

  addSession(session: WorkspaceSession): void {
    this.sessions.add(session);
  }

  removeSession(session: WorkspaceSession): void {
    this.sessions.delete(session);
  }

  hover(_at: DocumentAt, _position: Position): Hover | null {
    return null;
  }

  definition(_at: DocumentAt, _position: Position): Location[] | null {
    return null;
  }

  references(_at: DocumentAt, _position: Position, _includeDeclaration: boolean): Location[] | null {
    return null;
  }

  documentSymbols(_at: DocumentAt): DocumentSymbol[] | null {
    return null;
  }

  workspaceSymbols(_sessions: readonly WorkspaceSession[], _query: string): WorkspaceSymbol[] {
    return [];
  }

  prepareCallHierarchy(_at: DocumentAt, _position: Position): CallHierarchyItem[] | null {
    return null;
  }

  incomingCalls(_sessions: ReadonlyMap<string, WorkspaceSession>, _item: CallHierarchyItem): CallHierarchyIncomingCall[] | null {
    return null;
  }

  outgoingCalls(_sessions: ReadonlyMap<string, WorkspaceSession>, _item: CallHierarchyItem): CallHierarchyOutgoingCall[] | null {
    return null;
  }

  codeLenses(_at: DocumentAt): CodeLens[] | null {
    return null;
  }

  diagnostics(_at: DocumentAt): Diagnostic[] {
    return [];
  }

  nodeAt(_at: DocumentAt, _position: Position): NodeAtResult | null {
    return null;
  }

  functionGraph(_at: DocumentAt, _position: Position, _uri: string): FunctionGraphResult | null {
    return null;
  }

  query(session: WorkspaceSession, query: unknown): unknown {
    return session.queries.run(query);
  }
}

export function uriOf(root: string, relativePath: string): string {
  return pathToFileURL(path.join(root, relativePath)).href;
}
