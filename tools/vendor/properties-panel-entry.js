// Entry for the OneWindow properties-panel browser bundle (built by refresh.sh
// with esbuild into webapp/static/vendor/bpmn-js-properties-panel/).
//
// Exposed in the browser as the global `OneWindowPropertiesPanel`:
//   BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
//   CamundaPlatformPropertiesProviderModule  -> bpmn-js-properties-panel
//   CamundaBehaviorsModule                   -> camunda-bpmn-js-behaviors (Camunda 7 / platform)
//   camundaModdle                            -> camunda-bpmn-moddle/resources/camunda.json
//
// The bpmn-js Modeler itself comes from bpmn-js' own UMD bundle (global `BpmnJS`);
// this bundle only carries the add-on modules and the moddle descriptor.

export {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';

export { default as CamundaBehaviorsModule } from 'camunda-bpmn-js-behaviors/lib/camunda-platform';

export { default as camundaModdle } from 'camunda-bpmn-moddle/resources/camunda.json';
