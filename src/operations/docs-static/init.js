// Swagger UI bootstrap, served from this origin so the page makes no external requests.
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#swagger-ui', deepLinking: true });
});
