// Generated from Config/tutorial.yaml (scripts/embed-tutorial-config); a test keeps the two identical.
/// The Gluu Gateway UMA tutorial configuration that `uma-pep demo` serves (Config/tutorial.yaml).
public enum TutorialConfiguration {
    /// The YAML text.
    public static let yaml = #"""
        # uma-pep: the Gluu Gateway UMA tutorial, both services, each behind its own oxd registration.
        # `uma-pep demo` serves this file (embedded) with the development authorization server (oxd API + UMA 2.0) on
        # 127.0.0.1:8443 and a demo upstream API on 127.0.0.1:9000. Every value falls back to the demo's, so it loads
        # with an empty environment; set OXD_URL, OP_URL, OXD_ID, CLIENT_ID, CLIENT_SECRET (and the CLAIMS_* ones) to
        # point it at a real oxd and Gluu Server. Every field is described in docs/configuration.md.

        listen: ["${UMA_PEP_LISTEN:-127.0.0.1:8000}"]
        admin:
          listen: "${UMA_PEP_ADMIN_LISTEN:-127.0.0.1:8001}"
        workers: auto

        authorization_servers:
          # The oxd registration of the non-claim-gathering service.
          dev:
            mode: oxd
            oxd_url: ${OXD_URL:-http://127.0.0.1:8443}
            op_url: ${OP_URL:-http://127.0.0.1:8443}
            oxd_id: ${OXD_ID:-demo-oxd-id}
            client_id: ${CLIENT_ID:-demo-client}
            client_secret: ${CLIENT_SECRET:-demo-secret}
            register_resources: true
          # The oxd registration of the claim-gathering service (each Gluu Gateway plugin had its own).
          dev-claims:
            mode: oxd
            oxd_url: ${OXD_URL:-http://127.0.0.1:8443}
            op_url: ${OP_URL:-http://127.0.0.1:8443}
            oxd_id: ${CLAIMS_OXD_ID:-demo-claims-oxd-id}
            client_id: ${CLAIMS_CLIENT_ID:-demo-claims-client}
            client_secret: ${CLAIMS_CLIENT_SECRET:-demo-claims-secret}
            register_resources: true
          # The oxd registration of the browser service, whose claims gathering the gateway does itself.
          dev-browser:
            mode: oxd
            oxd_url: ${OXD_URL:-http://127.0.0.1:8443}
            op_url: ${OP_URL:-http://127.0.0.1:8443}
            oxd_id: ${BROWSER_OXD_ID:-demo-browser-oxd-id}
            client_id: ${BROWSER_CLIENT_ID:-demo-browser-client}
            client_secret: ${BROWSER_CLIENT_SECRET:-demo-browser-secret}
            register_resources: true

        # The browser service's session cookie (AES-256-GCM). The default key is the demo's and public: set
        # UMA_PEP_COOKIE_KEY (`openssl rand -base64 32`) anywhere else.
        claims_gathering:
          cookie_keys:
            - id: demo
              key: ${UMA_PEP_COOKIE_KEY:-ZGVtby1vbmx5LWNvb2tpZS1rZXktcmVwbGFjZS1tZSE=}

        services:
          # The RPT for `claims_read` is only issued after interactive claims gathering (the tutorial's country/city
          # policy on the authorization server).
          - name: claim-gathering
            url: ${DEMO_UPSTREAM_URL:-http://127.0.0.1:9000}
            hosts: [claim-gathering.example.com]
            authorization_server: dev-claims
            deny_by_default: true
            uma_scope_expression:
              - path: /posts/??
                conditions:
                  - httpMethods: [GET, POST]
                    scope_expression:
                      rule: {or: [{var: 0}]}
                      data: [claims_read]

          # The RPT for `read` is issued without claims gathering.
          - name: non-claim-gathering
            url: ${DEMO_UPSTREAM_URL:-http://127.0.0.1:9000}
            hosts: [non-claim-gathering.example.com]
            authorization_server: dev
            deny_by_default: true
            custom_headers:
              - {header_name: x-oauth-client-id, value_lua_exp: introspect_data.client_id, format: string}
            uma_scope_expression:
              - path: /posts/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
              - path: /todos
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
              - path: /public/??
                conditions:
                  - httpMethods: ["?"]
                    public: true

          # A browser asks for a page; the gateway itself turns the ticket into an RPT and, when the authorization server
          # needs Country and City, sends the browser to its claims-gathering page and back (obtain_rpt). Open
          # http://127.0.0.1:8000/posts/1 in a browser.
          - name: browser
            url: ${DEMO_UPSTREAM_URL:-http://127.0.0.1:9000}
            hosts: [127.0.0.1, localhost]
            authorization_server: dev-browser
            deny_by_default: true
            obtain_rpt: true
            redirect_claim_gathering_url: true
            claims_redirect_path: /uma/claims-callback
            uma_scope_expression:
              - path: /posts/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [claims_read]
        """#
}
