// The names of the containers Istio's injector adds: the proxy, and the capture's init
// container (istio-validation with Istio CNI, which only checks the capture the plugin made).
export const PROXY_CONTAINER = 'istio-proxy';
export const INIT_CONTAINER = 'istio-init';
export const VALIDATION_CONTAINER = 'istio-validation';
