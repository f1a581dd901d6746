package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apidocs"
	"github.com/socialinzen/socialinzen/internal/articles"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/audit/auditapi"
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/metrics"
	"github.com/socialinzen/socialinzen/internal/pages"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replyapi"
	"github.com/socialinzen/socialinzen/internal/stats"
	"github.com/socialinzen/socialinzen/internal/teams"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/autoreply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/component"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages/messagesapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
	"github.com/socialinzen/socialinzen/internal/wxplatform/webauth"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// services are the capabilities of one process.
type services struct {
	users      *user.Service
	accounts   *accounts.Service
	wx         *wxclient.Client
	replies    *reply.Service
	materials  *materials.Service
	menus      *menu.Service
	followers  *followers.Service
	qrcodes    *qrcode.Service
	webauth    *webauth.Service
	callback   *callback.Handler
	messages   *messages.Store
	articles   *articles.Service
	component  *component.Service // nil without a third-party platform (contract §15)
	convs      *conversations.Service
	live       *conversations.Hub
	stats      *stats.Service
	broadcasts *broadcasts.Service
	teams      *teams.Service
	emu        *wxemu.Emulator // sandbox mode only
	emuH       http.Handler
	metrics    *metrics.Metrics
	audit      *audit.Service // reads the audit log; every service writes it with audit.Record
}

// build makes every service; nothing listens yet.
func (a *App) build(ctx context.Context) (*services, error) {
	mailer, err := mail.New(a.cfg.SMTPURL, a.cfg.MailFrom, a.log)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	s := &services{metrics: metrics.New()}
	s.audit = audit.NewService(a.db, a.cfg.Location())
	sqlDB, err := a.db.DB()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	// Capabilities register their workers and periodic jobs while they are built; wire starts the queue.
	a.jobs, err = jobs.New(ctx, jobs.Options{DSN: a.cfg.DatabaseURL, SQLDB: sqlDB, Logger: a.log.With("component", "jobs")})
	if err != nil {
		return nil, err
	}
	if err := s.metrics.WatchDB(sqlDB); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s.users = user.NewService(a.db, mailer, user.Options{BaseURL: a.cfg.BaseURL, SecureCookies: a.cfg.SecureCookies(), Logger: a.log})
	a.closers = append(a.closers, func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.users.Shutdown(c)
	})
	// The client needs the accounts' secrets and the accounts service checks credentials with the client:
	// the secret source is filled in once both exist.
	secrets := &accountSecrets{}
	var hc *http.Client
	if a.cfg.Sandbox {
		s.emu, s.emuH, hc = a.newSandbox()
	}
	s.wx = wxclient.New(wxclient.Options{APIBase: a.cfg.WechatAPIBase, OpenBase: a.cfg.WechatOpenBase,
		MPBase: a.cfg.WechatMPBase, Timeout: a.cfg.WechatTimeout, DB: a.db, Box: a.box, Credentials: secrets,
		Logger: a.log.With("component", "wxclient"), HTTPClient: hc, Observer: s.metrics})
	s.accounts = accounts.NewService(a.db, a.box, accounts.Options{BaseURL: a.cfg.BaseURL, Checker: s.wx,
		Health: s.wx, Forget: s.wx, Tokens: s.wx, Logger: a.log, Authorize: teams.CheckContext, Bound: func(ctx context.Context, acct *accounts.Account) error {
			if s.stats == nil {
				return nil
			}
			return s.stats.Bound(ctx, acct.ID) // queues the account's 180-day statistics backfill
		}})
	secrets.accounts = s.accounts
	s.teams = teams.NewService(teams.Options{DB: a.db, Mailer: mailer, BaseURL: a.cfg.BaseURL, Logger: a.log.With("component", "teams"),
		OnChange: auditTeamChange})
	if s.component, err = a.buildComponent(s); err != nil {
		return nil, err
	}

	s.replies = reply.NewService(a.db, reply.Options{Logger: a.log, DSN: a.cfg.DatabaseURL, Location: a.cfg.Location()})
	if err := s.replies.Start(ctx); err != nil {
		return nil, fmt.Errorf("reply rules: %w", err)
	}
	a.closers = append(a.closers, s.replies.Close)
	s.materials = materials.NewService(a.db, s.wx, a.log.With("component", "materials"))
	s.menus = menu.NewService(a.db, s.wx, a.log.With("component", "menu"))
	s.followers = followers.NewService(a.db, followers.Options{WeChat: s.wx, Jobs: a.jobs, Logger: a.log.With("component", "followers")})
	a.closers = append(a.closers, s.followers.Close)
	s.messages = messages.NewStore(a.db)
	if err := messages.NewPartitions(a.db, a.cfg.MessageRetention(), a.log).RegisterJobs(a.jobs); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	s.qrcodes = qrcode.NewService(a.db, s.wx, s.messages)
	s.qrcodes.SetLogger(a.log.With("component", "qrcode"))
	s.qrcodes.SetMirror(s.followers)
	if err := s.qrcodes.RegisterJobs(a.jobs); err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	// The codes' actions answer scans from memory: loaded now, kept fresh across processes.
	s.qrcodes.Start(ctx, a.cfg.DatabaseURL)
	a.closers = append(a.closers, s.qrcodes.Close)
	var oauth webauth.WeChat = s.wx
	if s.component != nil {
		oauth = s.component.WebAuth() // component accounts use WeChat's sns/oauth2/component/...
	}
	s.webauth = webauth.New(webauth.Options{DB: a.db, Box: a.box, WeChat: oauth, Accounts: s.accounts,
		BaseURL: a.cfg.BaseURL, Logger: a.log.With("component", "webauth")})
	s.articles = articles.NewService(articles.Options{DB: a.db, WeChat: s.wx, Covers: s.materials,
		Logger: a.log.With("component", "articles")})
	if err := s.articles.RegisterJobs(a.jobs); err != nil {
		return nil, fmt.Errorf("articles: %w", err)
	}
	s.broadcasts, err = broadcasts.New(a.db, broadcasts.Options{WeChat: s.wx, Jobs: a.jobs,
		Logger: a.log.With("component", "broadcasts"), TemplateRate: a.cfg.TemplateRate, Lease: a.cfg.BroadcastLease,
		ChunkSize: a.cfg.MassChunkSize})
	if err != nil {
		return nil, fmt.Errorf("broadcasts: %w", err)
	}
	// The sender of rules' follow-up replies (contract §20) is the conversations service, built below.
	followUps := &followUpSender{}
	// A QR code's reply wins over the rules (contract §20); its tags are put on the follower by a job
	// the code enqueues once the scan is stored.
	s.callback = callback.New(callback.Options{DB: a.db, Accounts: s.accounts, Replies: s.qrcodes.Answering(s.replies),
		Observer: callback.Observers{s.followers.Observer(), s.articles, s.qrcodes}, Outcomes: s.metrics, Logger: a.log,
		FollowUps: followUps,
		JobFinish: map[string]callback.JobFinishHook{
			broadcasts.EventMassFinish:     s.broadcasts,
			broadcasts.EventTemplateFinish: s.broadcasts,
		}})
	s.callback.Start(ctx)
	// Closed after the server stopped and before the database: the queue is flushed.
	a.closers = append(a.closers, s.callback.Close)
	s.stats = stats.NewService(a.db, stats.Options{WeChat: s.wx, Console: s.messages, Location: a.cfg.Location(),
		Logger: a.log.With("component", "stats")})
	if err := s.stats.RegisterJobs(a.jobs); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	if s.convs, err = conversations.NewService(a.db, conversations.Options{WeChat: s.wx, Logger: a.log.With("component", "conversations")}); err != nil {
		return nil, err
	}
	s.live = conversations.NewHub(s.convs, a.cfg.DatabaseURL, a.log.With("component", "live"))
	s.live.Start(ctx)
	if err := conversations.RegisterJobs(a.jobs, s.live); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	if followUps.Service, err = autoreply.New(autoreply.Options{Jobs: a.jobs, Accounts: s.accounts, DB: a.db,
		Sender: s.convs, Logger: a.log}); err != nil {
		return nil, err
	}
	if err := followUps.RegisterJobs(a.jobs); err != nil {
		return nil, fmt.Errorf("rule follow-ups: %w", err)
	}
	// Streams end before the server waits for requests to finish, and the hub stops before the database.
	a.onShutdown = append(a.onShutdown, s.live.Close)
	a.closers = append(a.closers, s.live.Close)
	if err := s.metrics.WatchQueue(s.callback.QueueLen); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	a.health = append(a.health, healthCheck{name: "callback", check: func(context.Context) (string, any, bool) {
		h := s.callback.Health()
		if h.Degraded {
			return "degraded", h, true
		}
		return "ok", h, true
	}})
	return s, nil
}

// wire builds the services and the router.
func (a *App) wire(ctx context.Context) error {
	s, err := a.build(ctx)
	if err != nil {
		return err
	}
	cop := http.NewCrossOriginProtection()
	e := httpapi.NewEngine(a.log)
	e.Use(a.drainHeader)
	proxies, err := a.cfg.Proxies()
	if err != nil {
		return fmt.Errorf("trusted proxies: %w", err)
	}
	if err := httpapi.TrustProxies(e, proxies); err != nil {
		return fmt.Errorf("trusted proxies: %w", err)
	}
	if a.cfg.HTTPS() {
		e.Use(httpapi.HSTS())
	}
	e.Use(httpapi.Metrics(s.metrics)) // before any route: gin applies Use only to routes added after it
	e.GET("/metrics", s.metrics.Handler(a.cfg.MetricsToken))
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	apidocs.Routes(e)
	if s.emu != nil {
		mountSandbox(e, s.emuH)
	}

	// Each registration or reset request mails someone: 20 at once per address, then one every 30 s.
	mailRate := httpapi.NewClientRate(30*time.Second, 20)
	user.Routes(e, user.NewHandler(s.users, user.HandlerOptions{
		CrossOrigin: cop,
		MailRate:    mailRate.Middleware(),
		Accounts: func(ctx context.Context, userID int64) (any, error) {
			return s.accounts.Views(ctx, userID)
		},
	}))

	auth := httpapi.RequireAuth(s.users, cop)
	limit := httpapi.LimitBody(httpapi.MaxBodyBytes)
	scope := accounts.Scope(s.accounts)
	// Account binding acts on the appid it is given; everything else on /apis/wxplatform is scoped.
	binding := httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/wxplatform", limit, auth)}
	accounts.NewHandler(s.accounts).Routes(binding)
	if err := a.componentRoutes(e, binding, s); err != nil {
		return err
	}
	wx := httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/wxplatform", limit, auth, scope), Scoped: true}
	menu.NewHandler(s.menus).Routes(wx)
	followers.NewHandler(s.followers).Routes(wx)
	messagesapi.NewHandler(s.messages).Routes(wx)
	convH := &conversations.Handler{Service: s.convs, Hub: s.live, Accounts: s.accounts}
	convH.Routes(wx.WritesNeed(domain.RoleAgent)) // contract §14: conversations are an agent's
	convH.StreamRoutes(e.Group("/apis/wxplatform", auth))
	s.callback.Routes(e) // public, with its own 64 KB limit
	qrcode.NewHandler(s.qrcodes).Routes(wx)
	// jsticket may be asked without a token from an account's JS domains: it carries its own chain.
	(&jssdk.Handler{Tickets: s.wx, Accounts: s.accounts, RequireAuth: auth}).PublicRoutes(e)
	webauth.NewHandler(s.webauth).PublicRoutes(e)
	replyapi.NewHandler(s.replies).Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/wxreplymanage", limit, auth, scope), Scoped: true})
	(&stats.Handler{Service: s.stats}).Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/stats", limit, auth, scope), Scoped: true})
	// Uploads set their own limits: no 1 MB cap on this group.
	mh := &materials.Handler{Service: s.materials, Accounts: s.accounts}
	mh.Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/materials", auth)})
	mh.PublicRoutes(e)
	// The JSON endpoints are scoped with the 1 MB limit; uploadArticleImage bounds its own body.
	ah := &articles.Handler{Service: s.articles, Accounts: s.accounts}
	ah.Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/articles", limit, auth, scope), Scoped: true})
	ah.UploadRoutes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/articles", auth)})
	(&broadcasts.Handler{Service: s.broadcasts}).Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/broadcasts", limit, auth, scope), Scoped: true})

	// Members (contract §14); every group above checks roles through teams.Authorize.
	th := teams.NewHandler(s.teams)
	th.Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/team", limit, auth, scope), Scoped: true})
	th.InviteRoutes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/team", limit, auth)})
	// The audit log (contract §14): its own group on /apis/team, beside the members' routes.
	auditapi.NewHandler(s.audit).Routes(httpapi.Group{Authorize: teams.Authorize, IRouter: e.Group("/apis/team", limit, auth, scope), Scoped: true})

	deps := pages.Deps{Users: s.users, Accounts: s.accounts, Sandbox: a.cfg.Sandbox,
		SecureCookies: a.cfg.SecureCookies(), Logger: a.log,
		Replies: s.replies, Inbox: s.messages, Materials: s.materials, Followers: s.followers, QRCodes: s.qrcodes,
		Menus: s.menus, Articles: s.articles, JSTickets: s.wx, Router: e, MailRate: mailRate, Conversations: s.convs, Stats: s.stats,
		Broadcasts: s.broadcasts, Teams: s.teams, Audit: s.audit}
	if s.component != nil {
		deps.Component = s.component
	}
	if s.emu != nil {
		deps.DemoAccount = func() accounts.BindInput { return demoBinding(s.emu) }
	}
	pg, err := pages.New(a.db, a.box, deps)
	if err != nil {
		return fmt.Errorf("pages: %w", err)
	}
	pg.Routes(e)

	a.periodic(ctx, "cleanup", 10*time.Minute, func(ctx context.Context) {
		if err := s.users.Cleanup(ctx); err != nil {
			a.log.Warn("cleanup", "err", err)
		}
		if err := pg.PurgeSessions(ctx); err != nil {
			a.log.Warn("purge page sessions", "err", err)
		}
	})
	if err := a.jobs.Start(ctx); err != nil {
		return err
	}
	if s.emu != nil {
		if err := a.prepareSandbox(ctx, s, s.emu); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		a.startSandboxComponent(ctx, s)
	}
	a.services = s
	// gin finishes its route trees on the first request it serves (a one-time write): serving one now,
	// before New returns, keeps that write from racing with readers of the routes such as the API docs.
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))
	a.handler = e
	if s.emu != nil && a.cfg.SandboxDemo {
		// In the background: the follower sync is a job, the messages go through the callback in-process.
		a.goWork("sandbox-demo", func() {
			if err := a.seedSandbox(ctx, s, s.emu); err != nil && ctx.Err() == nil {
				a.log.Warn("sandbox: demo data", "err", err)
			}
		})
	}
	return nil
}

// periodic runs fn every interval until the app closes.
func (a *App) periodic(ctx context.Context, name string, every time.Duration, fn func(context.Context)) {
	a.goWork(name, func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

// announce logs what a newcomer should do first.
func (a *App) announce() {
	if !a.cfg.Sandbox || a.services == nil || a.services.emu == nil {
		return
	}
	demo := a.services.emu.Demo()
	a.log.Info("sandbox mode: WeChat is the built-in emulator under " + a.cfg.SandboxBase() + "/")
	a.log.Info(fmt.Sprintf("sandbox: open %s/login and log in as %q with password %q; the demo official account %s (%s) with 200 followers is bound",
		a.cfg.BaseURL, demoUsername, demoPassword, demo.AppID, demo.Name))
	a.log.Info("sandbox: try first: Auto-replies → add a text rule, then send its keyword in the chat simulator; Followers → Sync")
	if a.services.component != nil {
		a.log.Info("sandbox: bind more accounts by scanning: " + a.cfg.BaseURL + "/authorize → \"scan to authorize\" opens the emulator's demo third-party platform (" + a.services.component.AppID() + ")")
	}
}

// followUpSender is the callback's FollowUpHook: the autoreply service, set once the conversations
// service it sends through exists (before the callback receives anything).
type followUpSender struct{ *autoreply.Service }

// auditTeamChange records a member change (invitation, role, removal, transfer, leaving) in the audit log,
// inside the change's own transaction (contract §14).
func auditTeamChange(ctx context.Context, tx *gorm.DB, c teams.Change) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: c.AccountID, Action: c.Action, Target: c.Target,
		Changes: audit.Diff(c.Before, c.After)})
}
