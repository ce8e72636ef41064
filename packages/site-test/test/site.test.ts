// Opens the built docs site (docs-site/) in headless system Chromium: pages render cleanly, search works, internal links resolve.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { basename, dirname, extname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const site = join(root, "docs-site")
const shots = resolve(dirname(fileURLToPath(import.meta.url)), "../screenshots")
const browserPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const haveBrowser = existsSync(browserPath)
if (!haveBrowser) {
  process.stderr.write(
    `\n[site-test] SKIPPED: no browser at ${browserPath}; install Debian's chromium (apt-get install -y chromium) ` +
      `or set CHROMIUM_PATH (.ci/run installs it when missing)\n\n`
  )
}

interface TypedocConfig {
  readonly projectDocuments: ReadonlyArray<string>
}
const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")) as TypedocConfig

/** The title each guide declares in its front matter (typedoc names the page after it). */
const guideTitle = (file: string): string => {
  const match = /^---\n[\s\S]*?^title: (.+)$[\s\S]*?^---$/m.exec(readFileSync(join(root, file), "utf8"))
  if (match?.[1] === undefined) throw new Error(`${file} has no title in its front matter`)
  return match[1].trim()
}
const guides = config.projectDocuments.map((file) => ({ file, title: guideTitle(file) }))
/** Every documented package: those with a typedoc.json, by their package.json name. */
const packages = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "typedoc.json")))
  .map((dir) => (JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as { name: string }).name)

const walk = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json"
}
const serve = (dir: string): Promise<Server> =>
  new Promise((done) => {
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)
      const file = join(dir, path.endsWith("/") ? `${path}index.html` : path)
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end("not found")
        return
      }
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file))
    })
    server.listen(0, "127.0.0.1", () => done(server))
  })

describe.skipIf(!haveBrowser)("the documentation site in headless Chromium", () => {
  let server: Server
  let browser: Browser
  let base: string

  beforeAll(async () => {
    expect(existsSync(join(site, "index.html")), "docs-site/ is built by the docs target (npm run docs)").toBe(true)
    rmSync(shots, { recursive: true, force: true })
    mkdirSync(shots, { recursive: true })
    server = await serve(site)
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: browserPath, headless: true })
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((done) => server?.close(done))
  })

  /** Loads a page; everything the console, the page's scripts and its requests reported that went wrong. */
  const visit = async (page: Page, path: string, shot: string): Promise<ReadonlyArray<string>> => {
    const problems: Array<string> = []
    page.on("console", (m) => {
      // The site has no favicon: the browser's own request for one is not the site's error
      if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) problems.push(`console: ${m.text()} (${m.location().url})`)
    })
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`))
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`)
    })
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`))
    const response = await page.goto(`${base}/${path}`, { waitUntil: "load" })
    expect(response?.status(), path).toBe(200)
    await page.waitForSelector(".tsd-navigation a", { timeout: 10_000 }) // the navigation is built by the site's script
    await page.screenshot({ path: join(shots, `${shot}.png`), fullPage: true })
    return problems
  }

  /** The link the home page's navigation gives a guide or package, by its text. */
  const navTarget = async (page: Page, text: string): Promise<string> => {
    const links = await Promise.all(
      (await page.locator(".tsd-navigation a").all()).map(async (a) => [((await a.textContent()) ?? "").trim(), (await a.getAttribute("href")) ?? ""] as const)
    )
    const found = links.find(([label]) => label === text)
    expect(found, `the navigation links "${text}" (it has: ${links.map(([l]) => l).join(", ")})`).toBeDefined()
    return new URL(found?.[1] ?? "", `${base}/`).pathname.slice(1)
  }

  it("renders the home page as a landing page: one title, the guides listed, no console errors", async () => {
    const page = await browser.newPage()
    expect(await visit(page, "index.html", "home")).toEqual([])
    expect(await page.locator("h1").count()).toBe(1)
    const body = await page.locator(".col-content").innerText()
    for (const { title } of guides) expect(body).toContain(title)
    await page.close()
  })

  it.each(guides)("renders the guide $title ($file) without console errors", async ({ file, title }) => {
    const page = await browser.newPage()
    await page.goto(`${base}/index.html`)
    await page.waitForSelector(".tsd-navigation a")
    const path = await navTarget(page, title)
    await page.close()
    const guide = await browser.newPage()
    expect(await visit(guide, path, `guide-${basename(file, ".md")}`)).toEqual([])
    expect(await guide.locator("h1").first().innerText()).toBe(title)
    await guide.close()
  })

  it.each(packages)("renders the API page of %s without console errors", async (name) => {
    const page = await browser.newPage()
    await page.goto(`${base}/index.html`)
    await page.waitForSelector(".tsd-navigation a")
    const path = await navTarget(page, name)
    await page.close()
    const api = await browser.newPage()
    expect(await visit(api, path, `api-${name.replace(/[@/]/g, "_")}`)).toEqual([])
    expect(await api.locator("h1").first().innerText()).toContain(name)
    await api.close()
  })

  it("finds executePipelineWithInput with the site's search, and its result opens that function", async () => {
    const page = await browser.newPage()
    expect(await visit(page, "index.html", "search-before")).toEqual([])
    await page.click("#tsd-search-trigger")
    await page.fill("#tsd-search-input", "executePipelineWithInput")
    const first = page.locator("#tsd-search-results li a").first()
    await first.waitFor({ timeout: 10_000 })
    await page.screenshot({ path: join(shots, "search.png") })
    const hits = await page.locator("#tsd-search-results li").allInnerTexts()
    expect(hits.some((h) => h.includes("executePipelineWithInput")), hits.join(" | ")).toBe(true)
    await Promise.all([page.waitForURL(/executePipelineWithInput/), first.click()])
    expect(await page.locator("h1").first().innerText()).toContain("executePipelineWithInput")
    await page.close()
  })

  it("has no broken internal link or image on any page", () => {
    const pages = walk(site).filter((f) => f.endsWith(".html"))
    const ids = new Map<string, Set<string>>()
    const idsOf = (file: string): Set<string> => {
      let set = ids.get(file)
      if (set === undefined) {
        set = new Set([...readFileSync(file, "utf8").matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]!))
        ids.set(file, set)
      }
      return set
    }
    const broken: Array<string> = []
    let checked = 0
    for (const file of pages) {
      const html = readFileSync(file, "utf8")
      for (const [, attr, raw] of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
        if (raw === undefined || raw === "" || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith("//")) continue
        const [path = "", anchor] = raw.split("#")
        const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path))
        checked++
        const where = `${relative(site, file)}: ${attr}="${raw}"`
        if (!target.startsWith(site) || !existsSync(target)) broken.push(`${where} (no such file)`)
        else if (anchor && target.endsWith(".html") && !idsOf(target).has(decodeURIComponent(anchor))) broken.push(`${where} (no such anchor)`)
      }
    }
    expect(checked).toBeGreaterThan(100)
    expect(broken).toEqual([])
  })
})
